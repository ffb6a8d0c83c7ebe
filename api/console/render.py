"""Rendering console pages: the templates with the console's filters, under a strict
Content-Security-Policy (scripts and styles from this site only, nothing inline)."""

from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse

from api.html import templates
from domain.process import STAGE_NAMES, Stage
from domain.roles import CASE_ACTORS, CASE_STAFF
from domain.workdays import beijing_minute

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

ROLE_NAMES = {
    "clerk": "受理员",
    "handler": "学籍管理员",
    "leader": "领导",
    "sysadmin": "系统管理员",
    "secadmin": "安全管理员",
    "auditor": "审计管理员",
}


def _minute(at: datetime | None) -> str:
    return beijing_minute(at) if at else ""


def _stage(value: str) -> str:
    try:
        return STAGE_NAMES[Stage(value)]
    except ValueError:
        return value


templates.filters["minute"] = _minute
templates.filters["stage_name"] = _stage
templates.globals["ROLE_NAMES"] = ROLE_NAMES
# The nav's administrator entries: 账号 for those who manage accounts, 动态口令 for all three.
templates.globals["ACCOUNT_ADMIN_ROLES"] = ("sysadmin", "secadmin")
templates.globals["ADMIN_ROLE_NAMES"] = ("sysadmin", "secadmin", "auditor")  # no case work
# The role groups of domain.roles, for the navigation to offer only what a role may use.
templates.globals["CASE_STAFF"] = tuple(role.value for role in CASE_STAFF)
templates.globals["CASE_ACTORS"] = tuple(role.value for role in CASE_ACTORS)


def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    body = templates.get_template(template).render(**context)
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"},
    )
