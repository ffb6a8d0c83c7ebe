"""The staff workbench (工作台): Chinese web pages for the case work, served by the same app.

The pages go through the same service functions as the JSON routes (no rule lives in a page);
a cookie session with a CSRF token on every form instead of the bearer token.
"""
