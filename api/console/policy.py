"""密码策略: the password policy, read by every secadmin and changed by the Ministry's, through
the service functions of `/api/admin/password-policy` (api/password_policy.py). A bad value
shows the form again, as typed, with the field's reason (422), and changes nothing."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.admin_scope import NATIONAL_ONLY
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, PostedByDep, acting_as
from api.console.render import page
from api.deps import SessionDep
from api.errors import chinese_message
from api.password_policy import FIELD_NAMES, change_policy, current_policy, may_change_policy
from api.schemas.admin import Policy
from domain.roles import Role

router = APIRouter(prefix=PATH, tags=["console"], default_response_class=HTMLResponse)

NUMBERS = tuple(name for name in FIELD_NAMES if name != "totp_for_all")
TOTP_CHOICES = {"": None, "true": True, "false": False}  # "": on in production only


@router.get("/policy")
def policy_page(user: ConsoleUserDep, session: SessionDep, saved: bool = False) -> HTMLResponse:
    """The policy in force; a form to change it for the Ministry's secadmin."""
    staff = acting_as(user, (Role.SECADMIN,))
    policy = current_policy(session)
    return _page(user, may_change_policy(session, staff), _typed(policy), [], 200, saved=saved)


@router.post("/policy")
def change_policy_form(
    user: PostedByDep,
    session: SessionDep,
    min_length: Annotated[str, Form(max_length=20)] = "",
    min_kinds: Annotated[str, Form(max_length=20)] = "",
    history: Annotated[str, Form(max_length=20)] = "",
    expiry_days: Annotated[str, Form(max_length=20)] = "",
    max_failures: Annotated[str, Form(max_length=20)] = "",
    lock_minutes: Annotated[str, Form(max_length=20)] = "",
    idle_minutes: Annotated[str, Form(max_length=20)] = "",
    session_hours: Annotated[str, Form(max_length=20)] = "",
    totp_for_all: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Put the typed policy in force (the JSON route's `Policy` and `change_policy`)."""
    staff = acting_as(user, (Role.SECADMIN,))
    if not may_change_policy(session, staff):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=NATIONAL_ONLY)
    typed = {
        "min_length": min_length,
        "min_kinds": min_kinds,
        "history": history,
        "expiry_days": expiry_days,
        "max_failures": max_failures,
        "lock_minutes": lock_minutes,
        "idle_minutes": idle_minutes,
        "session_hours": session_hours,
        "totp_for_all": totp_for_all,
    }
    values: dict[str, object] = {name: typed[name].strip() for name in NUMBERS}
    errors: list[tuple[str, str]] = []
    if totp_for_all not in TOTP_CHOICES:
        errors.append(("totp_for_all", "取值无效，可选：仅生产环境、是、否"))
    values["totp_for_all"] = TOTP_CHOICES.get(totp_for_all)
    try:
        policy = Policy.model_validate(values)
    except ValidationError as exc:
        errors += [(str(error["loc"][0]), chinese_message(dict(error))) for error in exc.errors()]
    if errors:
        return _page(user, True, typed, errors, 422)
    change_policy(session, staff, policy)
    return RedirectResponse(f"{PATH}/policy?saved=true", status_code=303)


def _typed(policy: Policy) -> dict[str, str]:
    """The policy as the form shows it."""
    shown = {name: str(getattr(policy, name)) for name in NUMBERS}
    shown["totp_for_all"] = {None: "", True: "true", False: "false"}[policy.totp_for_all]
    return shown


def _page(
    user: ConsoleUser,
    editable: bool,
    values: dict[str, str],
    errors: list[tuple[str, str]],
    status_code: int,
    *,
    saved: bool = False,
) -> HTMLResponse:
    return page(
        "console/policy.html",
        status_code,
        user=user,
        title="密码策略",
        active="policy",
        editable=editable,
        values=values,
        errors=errors,
        labels=FIELD_NAMES,
        numbers=NUMBERS,
        saved=saved,
    )
