"""收到的单据: the slips addressed to the caller's unit or school (and, for a bureau, those
passing through it), their printed form, and the addressee's return (反馈), through the same
service functions as /api/slips and the return action of the JSON API."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api import case_service, slip_work
from api.audit_trail import PERSONAL_READ
from api.case_access import slip_on_route
from api.case_names import Names
from api.case_service import CaseCall
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, PostedByDep, acting_as
from api.console.reasons import field_message, reason_of
from api.console.render import page
from api.deps import ClockDep, SealerDep, SessionDep, SettingsDep, TemporalDep, store_call
from api.errors import chinese_message
from api.schemas.actions import AssigneeIn, SlipReturnIn
from api.security import Staff
from domain.roles import CASE_ACTORS, CASE_STAFF, SCHOOL_ROLES, SCHOOL_SLIP_ACTORS, Role
from store.sealing import Sealer

router = APIRouter(prefix=f"{PATH}/slips", tags=["console"], default_response_class=HTMLResponse)

ComplaintId = Annotated[str, Path(max_length=64)]
SlipId = Annotated[str, Path(pattern=r"^[VS]\d{1,4}$")]


@router.get("")
def received(
    user: ConsoleUserDep,
    session: SessionDep,
    sealer: SealerDep,
    clock: ClockDep,
    case: Annotated[str | None, Query(max_length=64)] = None,
    returned: Annotated[str | None, Query(max_length=16)] = None,
    assigned: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    """The list, open slips first; after a return or an assignment (`case` and `returned`
    or `assigned`), a line saying so."""
    staff = acting_as(user, CASE_STAFF, SCHOOL_ROLES)
    slips = slip_work.received_slips(session, staff, sealer, now=clock())
    done = next(
        (
            slip
            for slip in slips
            if (slip.complaint_id, slip.slip_id) == (case, returned) and slip.status == "returned"
        ),
        None,
    )
    named = next(
        (s for s in slips if (s.complaint_id, s.slip_id) == (case, assigned) and s.assignee), None
    )
    return page(
        "console/slips.html",
        user=user,
        title="收到的单据",
        active="slips",
        slips=slips,
        done=done,
        named=named,
        people=_people(session, user),
    )


def _people(session: Session, user: ConsoleUser) -> list[tuple[str, str]]:
    """Whom a leader may name as a slip's person in charge: (username, name) of the unit."""
    if user.staff.role != Role.LEADER:
        return []
    names = Names(session)
    return [
        (u.username, names.person(u.username))
        for u in case_service.assignable(session, user.staff.unit_code)
    ]


@router.get("/{complaint_id}/{slip_id}.pdf", dependencies=[PERSONAL_READ], response_class=Response)
def printed(
    complaint_id: ComplaintId,
    slip_id: SlipId,
    user: ConsoleUserDep,
    session: SessionDep,
    sealer: SealerDep,
    settings: SettingsDep,
) -> Response:
    """The slip as the A4 form to print, for the units on its route (a school: addressed)."""
    staff = acting_as(user, CASE_STAFF, SCHOOL_ROLES)
    row = slip_on_route(session, staff, complaint_id, slip_id)
    return slip_work.printed_slip(session, row, sealer, settings.pdf_font)


@dataclass(frozen=True)
class SlipDesk:
    """A form post on a received slip: who posted it (CSRF checked), which slip, and what the
    request has to act and to show the list again."""

    complaint_id: str
    slip_id: str
    user: ConsoleUser
    session: Session
    sealer: Sealer
    now: datetime
    temporal: Any

    @property
    def staff(self) -> Staff:
        """The poster when their role may act on a slip (403 otherwise)."""
        return acting_as(self.user, CASE_ACTORS, SCHOOL_SLIP_ACTORS)

    async def refused(self, exc: HTTPException, **problem: Any) -> HTMLResponse:
        """The list again, the refusal's reason beside the slip's form."""
        problem = {"slip": (self.complaint_id, self.slip_id), "reason": reason_of(exc), **problem}
        user, session, sealer = self.user, self.session, self.sealer
        return await _again(user, session, sealer, self.now, problem, exc.status_code)

    def done(self, what: str) -> RedirectResponse:
        location = f"{PATH}/slips?case={self.complaint_id}&{what}={self.slip_id}"
        return RedirectResponse(location, status_code=303)


def _slip_desk(
    complaint_id: ComplaintId,
    slip_id: SlipId,
    user: PostedByDep,
    session: SessionDep,
    sealer: SealerDep,
    clock: ClockDep,
    temporal: TemporalDep,
) -> SlipDesk:
    return SlipDesk(complaint_id, slip_id, user, session, sealer, clock(), temporal)


SlipDeskDep = Annotated[SlipDesk, Depends(_slip_desk)]


@router.post("/{complaint_id}/{slip_id}/return")
async def return_slip(
    desk: SlipDeskDep,
    response: Annotated[str, Form()] = "",  # SlipReturnIn bounds it, with a Chinese reason
) -> Response:
    """The addressee's handler or leader (a school's handler) returns the slip; a refusal
    shows the list again with the reason beside the slip's form, and changes nothing."""
    try:
        staff, body = desk.staff, _checked(response)
        await slip_work.return_slip(
            staff, desk.session, desk.temporal, desk.complaint_id, desk.slip_id, body.response
        )
    except HTTPException as exc:
        return await desk.refused(exc, typed=response)
    return desk.done("returned")


@router.post("/{complaint_id}/{slip_id}/assignee")
async def assign_slip(
    desk: SlipDeskDep,
    assignee: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Name the slip's person in charge (承办人) at the addressee: a leader anyone of the unit
    who may act, a handler (a school's included) themselves; a change needs a reason. A
    refusal shows the list again with the reason beside the slip, and changes nothing."""
    try:
        staff = desk.staff
        try:
            AssigneeIn(assignee=assignee, reason=reason)
        except ValidationError as exc:
            raise HTTPException(422, detail=field_message(exc.errors()[0])) from None
        call = CaseCall(staff, desk.session, desk.temporal, desk.complaint_id)
        await case_service.assign_slip(call, slip_id=desk.slip_id, assignee=assignee, reason=reason)
    except HTTPException as exc:
        return await desk.refused(exc, typed="", action="assign", why=reason)
    return desk.done("assigned")


def _checked(response: str) -> SlipReturnIn:
    """The answer as the JSON route takes it; a 422 with the reason in Chinese."""
    try:
        return SlipReturnIn(response=response)
    except ValidationError as exc:
        error = dict(exc.errors()[0])
        reason = "请填写" if error["type"] == "string_too_short" else chinese_message(error)
        raise HTTPException(422, detail=f"反馈内容：{reason}") from None


async def _again(
    user: ConsoleUser,
    session: Session,
    sealer: Sealer,
    now: datetime,
    problem: dict[str, Any],
    status_code: int,
) -> HTMLResponse:
    """The list again, with the refusal and what was typed kept in the slip's form."""
    staff = user.staff
    slips = await store_call(session, slip_work.received_slips, session, staff, sealer, now=now)
    refused = next(
        (slip for slip in slips if (slip.complaint_id, slip.slip_id) == problem["slip"]), None
    )
    problem["in_form"] = bool(refused and refused.may_return)
    problem.setdefault("action", "return")
    problem["label"] = f"{refused.kind_name} {refused.slip_id}" if refused else problem["slip"][1]
    return page(
        "console/slips.html",
        status_code,
        user=user,
        title="收到的单据",
        active="slips",
        slips=slips,
        done=None,
        named=None,
        problem=problem,
        people=await store_call(session, _people, session, user),
    )
