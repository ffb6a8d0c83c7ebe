"""受理登记 in the console: the form of each channel with its school picker, the preview of what
the registration will do, and the receipt with the tracking number and query code.

The form makes the same ComplaintIn as the JSON route and goes through the same service
(api.registration, api.school_search): a refusal is the form again (422) with each reason next
to its control, and nothing is registered. The form's idempotency key, made when the form is
first shown, makes a double submit register once.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.datastructures import FormData

from api import registration, repeat_check, repeats
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, PostedByDep
from api.console.registration_form import (
    CHOOSE,
    MAX_STUDENTS,
    FormRefused,
    RegistrationForm,
    RepeatChoice,
    StudentRow,
    refusal_of,
)
from api.console.render import page
from api.deps import CalendarDep, ClockDep, SealerDep, SessionDep, SettingsDep, TemporalDep, TreeDep
from api.schemas.complaints import ComplaintIn
from api.schemas.org import SchoolOut
from api.school_search import LIMIT, schools_for
from api.security import check_role
from api.temporal_link import TemporalUnavailable
from api.workflow_calls import UNAVAILABLE
from core.settings import Settings
from domain.orgtree import OrgTree, UnknownCodeError
from domain.process import Channel
from domain.roles import CASE_STAFF
from domain.workdays import WorkdayCalendar
from store.sealing import Sealer

router = APIRouter(prefix=f"{PATH}/register", tags=["console"], default_response_class=HTMLResponse)

FORM = "console/register.html"
# What a clerk is told when the form they post was registered before with other contents.
FORM_USED = "这份登记表已经登记过，不能再改为另一份投诉。如需登记新的投诉，请重新打开“受理登记”。"


async def _registrar(user: ConsoleUserDep) -> ConsoleUser:
    """A bureau's clerk, handler or leader, as for POST /api/complaints (403 otherwise)."""
    check_role(user.staff, CASE_STAFF)
    return user


async def _posting_registrar(user: PostedByDep) -> ConsoleUser:
    check_role(user.staff, CASE_STAFF)
    return user


RegistrarDep = Annotated[ConsoleUser, Depends(_registrar)]
PostingRegistrarDep = Annotated[ConsoleUser, Depends(_posting_registrar)]


async def _posted(request: Request) -> FormData:
    return await request.form()  # read once; the CSRF check reads the same parsed form


PostedForm = Annotated[FormData, Depends(_posted)]


def _channel(value: str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise HTTPException(422, detail="没有这种投诉渠道") from None


@router.get("")
def registration_form(
    user: RegistrarDep,
    channel: Annotated[str, Query(max_length=16)] = Channel.PHONE.value,
) -> HTMLResponse:
    """The empty form of a channel, with a new idempotency key."""
    form = RegistrationForm(channel=_channel(channel))
    return _form_page(user, form)


@router.post("/form")
def form_again(
    user: PostingRegistrarDep,
    posted: PostedForm,
    session: SessionDep,
    tree: TreeDep,
) -> HTMLResponse:
    """The form as posted, changed by nothing: back from the preview, or a browser without
    JavaScript searching for a school or asking for another student row."""
    form = RegistrationForm.posted(posted, _channel(str(posted.get("channel", ""))))
    query = str(posted.get("school_q", "")).strip()[:50]
    org = tree()
    found = None
    if posted.get("find_school") and query:
        found = schools_for(session=session, tree=org, unit_code=user.staff.unit_code, text=query)
    extra = 1 if posted.get("add_student") else 0
    return _form_page(user, form, tree=org, school_q=query, found=found, extra_rows=extra)


@router.get("/schools")
def school_choices(
    user: RegistrarDep,
    session: SessionDep,
    tree: TreeDep,
    school_q: Annotated[str, Query(max_length=50)] = "",
    school_codes: Annotated[list[str], Query(max_length=MAX_STUDENTS)] = [],  # noqa: B006
) -> HTMLResponse:
    """The picker's choices: the schools picked so far, then those found for `school_q`, as
    GET /api/schools finds them for this user."""
    org = tree()
    query = school_q.strip()
    found = None
    if query:
        found = schools_for(session=session, tree=org, unit_code=user.staff.unit_code, text=query)
    picked = _picked(org, list(dict.fromkeys(school_codes)))
    return page("console/register_schools.html", choices=_choices(picked, found, query))


@router.get("/student-row")
def student_row(
    user: RegistrarDep, index: Annotated[int, Query(ge=0, lt=MAX_STUDENTS)]
) -> HTMLResponse:
    """One more empty student row (and the button, which asks for the next one)."""
    return page(
        "console/register_student_row.html",
        index=index,
        row=StudentRow(),
        autofocus=True,
        next_index=index + 1,
        max_students=MAX_STUDENTS,
    )


@router.post("/preview")
def preview(
    user: PostingRegistrarDep,
    posted: PostedForm,
    session: SessionDep,
    tree: TreeDep,
    calendar: CalendarDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> HTMLResponse:
    """What registering the form would do (handling unit, route, first deadline, hotline), and
    the cases it may repeat (重复件), to confirm; the form again with the reasons (422) when it
    cannot be registered."""
    form = RegistrationForm.posted(posted, _channel(str(posted.get("channel", ""))))
    org = tree()
    try:
        complaint = form.complaint()
        checked = _Checked(complaint, org, calendar(), settings, clock())
        return _preview_page(user, form, checked, session)
    except FormRefused as refused:
        return _form_page(user, form, tree=org, errors=refused.errors, status_code=422)
    except HTTPException as exc:
        return _refused_form(user, form, org, exc)


@dataclass(frozen=True)
class _Checked:
    """A complaint the form makes, with what the preview is computed from."""

    complaint: ComplaintIn
    tree: OrgTree
    calendar: WorkdayCalendar
    settings: Settings
    now: datetime


def _preview_page(
    user: ConsoleUser,
    form: RegistrationForm,
    checked: _Checked,
    session: Session,
    *,
    choice: RepeatChoice | None = None,
    errors: dict[str, list[str]] | None = None,
) -> HTMLResponse:
    """The preview (422 with `errors`): the plan, the cases the complaint may repeat (with the
    clerk's choice between joining one and registering it as new), and what was typed."""
    complaint, org = checked.complaint, checked.tree
    plan = registration.plan_of(
        complaint,
        user.staff,
        tree=org,
        calendar=checked.calendar,
        settings=checked.settings,
        received_at=checked.now,
    )
    found = repeat_check.possible_repeats(
        complaint, user.staff, session=session, settings=checked.settings, tree=org, now=checked.now
    )
    return page(
        "console/register_preview.html",
        422 if errors else 200,
        user=user,
        title="核对登记内容",
        active="register",
        form=form,
        complaint=complaint,
        plan=plan,
        found=found,
        choice=choice or RepeatChoice(),
        errors=errors or {},
        window_days=checked.settings.repeat_window_days,
        names=_Names(org),
    )


@router.post("", status_code=201)
async def save(
    user: PostingRegistrarDep,
    posted: PostedForm,
    session: SessionDep,
    sealer: SealerDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
) -> HTMLResponse:
    """Register the form's complaint once (its idempotency key): the receipt with the tracking
    number and query code; the form again with the reasons (422) when it cannot be."""
    form = RegistrationForm.posted(posted, _channel(str(posted.get("channel", ""))))
    key = form.idempotency_key
    if len(key) > 128 or not key.isprintable():
        raise HTTPException(400, detail="表单已失效，请重新打开“受理登记”")
    org = tree()
    choice = RepeatChoice.posted(posted)
    try:
        complaint = form.complaint()
        checked = _Checked(complaint, org, calendar(), settings, clock())
        if choice.joins:
            return _joined_page(user, form, checked, choice, session=session, sealer=sealer)
        if choice.registers_new:
            try:
                complaint = choice.acknowledged(complaint)
            except FormRefused as refused:
                errors = refused.errors
                return _preview_page(user, form, checked, session, choice=choice, errors=errors)
        created = await registration.register(
            complaint,
            user.staff,
            session=session,
            sealer=sealer,
            settings=settings,
            temporal=temporal,
            tree=org,
            calendar=checked.calendar,
            now=checked.now,
            idempotency_key=key,
        )
    except FormRefused as refused:
        return _form_page(user, form, tree=org, errors=refused.errors, status_code=422)
    except repeat_check.RepeatsUnacknowledged:  # a case matched since the preview, or no choice
        errors = {"repeat_choice": [CHOOSE]}
        return _preview_page(user, form, checked, session, choice=choice, errors=errors)
    except HTTPException as exc:
        if exc.status_code == 409 and not choice.joins:  # a join's 409 says why itself
            raise HTTPException(409, detail=FORM_USED) from None
        return _refused_form(user, form, org, exc)
    except TemporalUnavailable:
        raise HTTPException(503, detail=UNAVAILABLE) from None
    return page(
        "console/register_done.html",
        201,
        user=user,
        title="登记完成",
        active="register",
        channel=form.channel,
        created=created,
        names=_Names(org),
    )


def _joined_page(
    user: ConsoleUser,
    form: RegistrationForm,
    checked: _Checked,
    choice: RepeatChoice,
    *,
    session: Session,
    sealer: Sealer,
) -> HTMLResponse:
    """Join the complaint to the chosen case as its repeat: the receipt gives the case's
    tracking number and query code."""
    joined = repeats.join_repeat(
        checked.complaint,
        user.staff,
        choice.value,
        session=session,
        sealer=sealer,
        settings=checked.settings,
        tree=checked.tree,
        now=checked.now,
        idempotency_key=form.idempotency_key,
    )
    return page(
        "console/register_joined.html",
        201,
        user=user,
        title="已作为重复件并入",
        active="register",
        channel=form.channel,
        joined=joined,
        names=_Names(checked.tree),
    )


def _refused_form(
    user: ConsoleUser, form: RegistrationForm, tree: OrgTree, exc: HTTPException
) -> HTMLResponse:
    """The service's 422 (a detail list naming fields) as the form with each reason next to
    its control; any other refusal goes on as it is."""
    refused = refusal_of(exc.detail, form) if exc.status_code == 422 else None
    if refused is None:
        raise exc
    return _form_page(user, form, tree=tree, errors=refused.errors, status_code=422)


def _form_page(
    user: ConsoleUser,
    form: RegistrationForm,
    *,
    tree: OrgTree | None = None,
    school_q: str = "",
    found: list[SchoolOut] | None = None,
    extra_rows: int = 0,
    errors: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    picked = _picked(tree, form.school_codes) if tree is not None else []
    rows = form.rows(extra_rows)
    return page(
        FORM,
        status_code,
        user=user,
        title="受理登记",
        active="register",
        form=form,
        rows=rows,
        focus_row=len(rows) - 1 if extra_rows else None,
        max_students=MAX_STUDENTS,
        errors=errors or {},
        choices=_choices(picked, found, school_q),
    )


@dataclass(frozen=True)
class _Choices:
    """What the school picker shows: the schools picked, and those found for `query` (None
    when nothing was searched) that are not picked yet."""

    picked: list[SchoolOut]
    found: list[SchoolOut] | None
    query: str
    more: bool  # the search found as many as it lists: there may be more


def _choices(picked: list[SchoolOut], found: list[SchoolOut] | None, query: str) -> _Choices:
    chosen = {school.code for school in picked}
    rest = None if found is None else [school for school in found if school.code not in chosen]
    return _Choices(picked, rest, query, more=found is not None and len(found) >= LIMIT)


def _picked(tree: OrgTree, codes: list[str]) -> list[SchoolOut]:
    """The picked schools with their names; a code the tree does not hold stays as it is, for
    the service to refuse by name."""
    picked = []
    for code in codes:
        try:
            school = tree.school(code)
            unit = tree.supervising_unit(code)
            picked.append(
                SchoolOut(code=code, name=school.name, unit_code=unit.code, unit_name=unit.name)
            )
        except UnknownCodeError:
            picked.append(SchoolOut(code=code, name=code, unit_code="", unit_name=""))
    return picked


class _Names:
    """Names of the tree's units and schools for a template; the code when unknown."""

    def __init__(self, tree: OrgTree) -> None:
        self._tree = tree

    def unit(self, code: str) -> str:
        try:
            return self._tree.unit(code).name
        except UnknownCodeError:
            return code

    def school(self, code: str) -> str:
        try:
            return self._tree.school(code).name
        except UnknownCodeError:
            return code
