"""The console over HTTP in process: a client of its own signed in through the login form,
and the CSRF token of a page's forms."""

import re

import httpx

from tests.support.http_support import PASSWORD, System


async def signed_in(system: System, username: str) -> httpx.AsyncClient:
    """A client of its own (its own cookies) signed in to the console as `username`."""
    client = httpx.AsyncClient(transport=system.http._transport, base_url="http://xueji")
    form = {"username": username, "password": PASSWORD, "next": "/console"}
    answer = await client.post("/console/login", data=form)
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)
