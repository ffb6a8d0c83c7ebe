"""投诉电话和邮箱: a system administrator confirms or changes the public complaint phone and
e-mail of its unit and of the units below it, each with the date last confirmed; a provincial
or national one also sees the units of its subtree never confirmed or confirmed more than a
year ago. The same rules as PATCH /api/org/units/{code}, POST …/confirm and
GET /api/org/contacts/stale (api.org_service)."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, PostedByDep, acting_as
from api.console.render import page
from api.deps import ClockDep, SessionDep
from api.errors import chinese_message
from api.org_service import (
    confirm_contacts,
    is_stale,
    may_list_stale,
    set_contacts,
    stale_contacts,
    unit_below,
)
from api.schemas.org import UnitContacts
from domain.roles import Role

router = APIRouter(prefix=f"{PATH}/contacts", tags=["console"], default_response_class=HTMLResponse)

UnitCode = Annotated[str, Path(pattern=r"^\d{6}$")]
LABELS = {"phone": "投诉电话", "email": "投诉邮箱"}


@router.get("")
def contacts_home(user: ConsoleUserDep, session: SessionDep, clock: ClockDep) -> HTMLResponse:
    """The administrator's own unit, the units directly below it, and (province and above)
    every unit of the subtree whose contacts are to be confirmed."""
    staff = acting_as(user, (Role.SYSADMIN,))
    now = clock()
    stale = stale_contacts(session, staff, now) if may_list_stale(session, staff) else None
    return page(
        "console/contacts.html",
        user=user,
        title="投诉电话和邮箱",
        active="contacts",
        below=unit_below(session, staff, staff.unit_code),
        stale=stale,
        now=now,
        is_stale=is_stale,
    )


@router.get("/{code}")
def contacts_form(
    user: ConsoleUserDep,
    session: SessionDep,
    clock: ClockDep,
    code: UnitCode,
    done: Annotated[str | None, Query(pattern=r"^(saved|confirmed)$")] = None,
) -> HTMLResponse:
    acting_as(user, (Role.SYSADMIN,))
    return _form(session, user, code, clock, 200, done=done)


def _form(
    session: Session,
    user: ConsoleUser,
    code: str,
    clock: Callable[[], datetime],
    status_code: int,
    *,
    values: dict[str, str] | None = None,
    errors: list[tuple[str, str]] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    below = unit_below(session, user.staff, code)
    unit = below.unit
    return page(
        "console/contacts_unit.html",
        status_code,
        user=user,
        title=f"投诉电话和邮箱：{unit.name}",
        active="contacts",
        below=below,
        values=values or {"phone": unit.phone, "email": unit.email},
        errors=errors or [],
        labels=LABELS,
        done=done,
        stale=is_stale(unit, clock()),
    )


@router.post("/{code}")
def save_contacts(
    user: PostedByDep,
    session: SessionDep,
    clock: ClockDep,
    code: UnitCode,
    phone: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Save the phone and e-mail as typed (an empty field clears it): today becomes the date
    last confirmed. A bad one shows the form again as typed, naming the field (422)."""
    staff = acting_as(user, (Role.SYSADMIN,))
    values = {"phone": phone, "email": email}
    try:
        contacts = UnitContacts.model_validate(values)
    except ValidationError as exc:
        errors = [(str(e["loc"][0]), chinese_message(dict(e))) for e in exc.errors()]
        return _form(session, user, code, clock, 422, values=values, errors=errors)
    set_contacts(session, staff, code, phone=contacts.phone, email=contacts.email, now=clock())
    session.commit()
    return RedirectResponse(f"{PATH}/contacts/{code}?done=saved", status_code=303)


@router.post("/{code}/confirm")
def confirm_unchanged(
    user: PostedByDep, session: SessionDep, clock: ClockDep, code: UnitCode
) -> Response:
    """确认无变化: the phone and e-mail stay as they are, confirmed today."""
    staff = acting_as(user, (Role.SYSADMIN,))
    confirm_contacts(session, staff, code, now=clock())
    session.commit()
    return RedirectResponse(f"{PATH}/contacts/{code}?done=confirmed", status_code=303)
