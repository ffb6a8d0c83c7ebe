"""Plain HTML pages for the public (no JavaScript): Jinja2 templates with autoescape on, so
anything staff typed is shown as text, never as markup."""

import re
from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from domain.workdays import SHANGHAI, beijing_minute

# Nothing but the page and its stylesheet from this site: no scripts, no inline style, no
# frames, forms to this site.
_POLICY = (
    "default-src 'none'; style-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_NOT_IN_TEL = re.compile(r"[^0-9+\-]")

templates = Environment(
    loader=PackageLoader("api", "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def local_date(at: datetime | None) -> str | None:
    """The day (YYYY-MM-DD, Beijing time) of `at`, or None."""
    return at.astimezone(SHANGHAI).date().isoformat() if at else None


def local_minute(at: datetime | None) -> str | None:
    """The minute (YYYY-MM-DD HH:MM, Beijing time) of `at`, or None."""
    return beijing_minute(at) if at else None


def tel_href(phone: str) -> str:
    """A `tel:` link target: digits, + and hyphens only (RFC 3966 has no spaces)."""
    return "tel:" + _NOT_IN_TEL.sub("", phone)


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    page = templates.get_template(template).render(**context)
    return HTMLResponse(page, status_code=status_code, headers={"Content-Security-Policy": _POLICY})


def refusal(title: str, field: str, message: str) -> HTMLResponse:
    """422 as a page: which parameter and why, in Chinese."""
    return render("refusal.html", 422, title=title, field=field, message=message)


def too_many(title: str, seconds: int) -> HTMLResponse:
    """429 as a page, with Retry-After."""
    response = render("too_many.html", 429, title=title, seconds=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response
