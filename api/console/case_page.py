"""The case page (案件) of the console: the case as its units may read it, refreshed in the
background, and a form for each action the viewer may take now. Every form goes through the
service functions of the JSON routes (api/case_service.py).

A refused action shows the page again with the reason beside its form and changes nothing; a
done one goes back to the page (303) with what was done.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from api import attachments, case_service, repeats
from api.audit_trail import PERSONAL_READ
from api.body_limit import size_text
from api.case_reading import pending_case, personal_data
from api.case_service import CaseCall
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, PostedByDep, RefreshDep
from api.console.case_context import (
    case_page,
    choice_label,
    current_version,
    found_choices,
    read_case,
    seen_case,
)
from api.console.reasons import FIELD_NAMES, field_message, reason_of
from api.console.render import page
from api.deps import ClockDep, SealerDep, SessionDep, SettingsDep, TemporalDep, TreeDep, store_call
from api.schemas.actions import (
    AssigneeIn,
    ConfirmationIn,
    DisputeIn,
    InformingIn,
    OpinionIn,
    ReworkIn,
    RulingIn,
    SlipReturnIn,
    VerificationIn,
    WithdrawalIn,
)
from api.schemas.repeats import LinkIn
from api.security import check_role
from api.temporal_link import TemporalUnavailable
from api.workflow_calls import UNAVAILABLE
from domain.orgtree import OrgTree
from domain.roles import CASE_STAFF
from store.sealing import Sealer

router = APIRouter(prefix=f"{PATH}/cases", tags=["console"], default_response_class=HTMLResponse)

CaseId = Annotated[str, Path(max_length=64)]
SlipId = Annotated[str, Path(pattern=r"^[VS]\d{1,4}$")]
Text = Annotated[str, Form(max_length=4000)]
Codes = Annotated[list[str], Form(max_length=50, default_factory=list)]
Files = Annotated[list[str], Form(max_length=20, default_factory=list)]  # attachment ids
Find = Annotated[str, Query(max_length=40)]
Picked = Annotated[list[str], Query(max_length=50, default_factory=list)]
# The forms with a picker of units and schools, and the field each picks into.
PICKED = {"verification": "addressees", "opinion": "executing_units", "rework": "executing_units"}
Picker = Annotated[str, Query(pattern=r"^(verification|opinion|rework)?$")]
Unit = Annotated[str, Form(max_length=10)]
# Signals are applied by the workflow a moment after they are sent.
SIGNALS = frozenset({"dispute", "ruling", "withdrawal"})
ACTIONS = (
    "verification|opinion|confirmation|rework|informing|assignee|dispute|ruling|withdrawal|link"
    "|files|follow-up|review-request|review"  # after informing: api/console/aftercare.py
)
DONE = rf"^({ACTIONS}|return-[VS]\d{{1,4}})?$"
SCHOOL_REFUSAL = "学校账号只能办理发给本校的单据，不能查看案件"


def _case_staff(user: ConsoleUser) -> None:
    """Schools work their slips only; administrators no cases (403)."""
    check_role(user.staff, CASE_STAFF, school_refusal=SCHOOL_REFUSAL)


@router.get("/{complaint_id}", dependencies=[PERSONAL_READ])
async def show_case(
    complaint_id: CaseId,
    user: ConsoleUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    sealer: SealerDep,
    tree: TreeDep,
    settings: SettingsDep,
    done: Annotated[str, Query(pattern=DONE)] = "",
    find: Find = "",
    picker: Picker = "",
) -> HTMLResponse:
    """The case, and a form for each action the viewer may take now; a complaint the unit
    has just registered, whose case is not written yet, says so. `find` searches the units
    and schools of `picker` (a browser without JavaScript; htmx asks `addressees`)."""
    try:
        return await _page(
            user,
            session,
            temporal,
            sealer,
            tree(),
            complaint_id,
            done=done,
            find=(picker, find),
            file_limit=settings.attachment_max_bytes,
        )
    except HTTPException as exc:
        if exc.status_code != 404:
            raise
        pending = await store_call(
            session, pending_case, session, user.staff.unit_code, complaint_id
        )
        if pending is None:
            raise
        return page(
            "console/case_pending.html",
            user=user,
            title=f"案件 {pending.tracking_no}",
            active="cases",
            pending=pending,
        )


async def _page(
    user: ConsoleUser,
    session: Any,
    temporal: Any,
    sealer: Any,
    tree: OrgTree,
    complaint_id: str,
    *,
    status_code: int = 200,
    done: str = "",
    refused: dict[str, Any] | None = None,
    find: tuple[str, str] = ("", ""),
    file_limit: int,
) -> HTMLResponse:
    _case_staff(user)
    call = CaseCall(user.staff, session, temporal, complaint_id)
    picker, text = find
    shown = await case_page(call, sealer, tree, find=text if picker else "")
    files = await store_call(session, attachments.listed, session, user.staff, sealer, complaint_id)
    return page(
        "console/case.html",
        status_code,
        user=user,
        title=f"案件 {shown.detail.tracking_no}",
        active="cases",
        case=shown,
        done=done,
        signalled=done in SIGNALS,
        refused=refused,
        field_names=FIELD_NAMES,
        find_for=picker,
        files=files,
        file_limit=size_text(file_limit),
    )


@router.get("/{complaint_id}/addressees")
def found_addressees(
    complaint_id: CaseId,
    user: ConsoleUserDep,
    session: SessionDep,
    tree: TreeDep,
    addressees: Picked,
    executing_units: Picked,
    find: Find = "",
    picker: Picker = "verification",
) -> HTMLResponse:
    """The picker's search as one types (htmx): units and schools below the handling unit
    whose name holds the text or whose code starts with it, as checkboxes of the form, after
    those picked from an earlier search (sent back checked, so they stay)."""
    _case_staff(user)
    case = seen_case(session, user.staff.unit_code, complaint_id)
    org = tree()
    found = found_choices(session, org, case.handling_unit, find)
    name = PICKED[picker or "verification"]
    kept = [(code, choice_label(org, code)) for code in dict.fromkeys(addressees + executing_units)]
    return page("console/case_found.html", found=found, find=find.strip(), name=name, kept=kept)


@router.get("/{complaint_id}/personal", dependencies=[PERSONAL_READ])
def show_personal_data(
    complaint_id: CaseId, user: ConsoleUserDep, session: SessionDep, sealer: SealerDep
) -> HTMLResponse:
    """The complainant's and students' numbers in full, for the handling unit's case staff
    (the JSON route's rule and audit)."""
    _case_staff(user)
    case = seen_case(session, user.staff.unit_code, complaint_id)
    people = personal_data(session, case, user.staff, sealer)
    return page(
        "console/case_personal.html",
        user=user,
        title=f"案件 {case.tracking_no} 的个人信息",
        active="cases",
        people=people,
    )


@router.get("/{complaint_id}/live", dependencies=[PERSONAL_READ])
def live_parts(
    complaint_id: CaseId,
    request: Request,
    user: RefreshDep,
    session: SessionDep,
    sealer: SealerDep,
    since: str = "",
) -> Response:
    """The read-only parts alone, for the page's refresh every 10 seconds: 304 while nothing
    changed (by the ETag), and a note when the page's forms may be out of date."""
    _case_staff(user)
    version = current_version(session, user.staff.unit_code, complaint_id)
    headers = {"ETag": f'"{version}"', "Cache-Control": "private, no-cache"}
    if request.headers.get("If-None-Match") == f'"{version}"':
        return Response(status_code=304, headers=headers)
    shown = read_case(session, user.staff.unit_code, complaint_id, sealer)
    answer = page("console/case_live.html", case=shown, changed=since != version)
    answer.headers.update(headers)
    return answer


# ---------------------------------------------------------------- the action forms


@dataclass(frozen=True)
class Desk:
    """A form post on a case: who posted it (CSRF checked) and what the request has to act."""

    user: ConsoleUser
    complaint_id: str
    session: Session
    temporal: Any
    sealer: Sealer
    tree: OrgTree
    file_limit: int  # the largest evidence file, shown beside the upload form

    @property
    def call(self) -> CaseCall:
        return CaseCall(self.user.staff, self.session, self.temporal, self.complaint_id)


async def _desk(
    complaint_id: CaseId,
    user: PostedByDep,
    session: SessionDep,
    temporal: TemporalDep,
    sealer: SealerDep,
    tree: TreeDep,
    settings: SettingsDep,
) -> Desk:
    _case_staff(user)
    limit = settings.attachment_max_bytes
    return Desk(user, complaint_id, session, temporal, sealer, tree(), limit)


DeskDep = Annotated[Desk, Depends(_desk)]


async def _act(
    desk: Desk,
    name: str,
    values: dict[str, Any],
    action: Callable[[CaseCall], Awaitable[Any]],
    body: type[BaseModel] | None = None,
) -> Response:
    """Check the form as the JSON body is checked, run the service `action`, and go back to
    the page; a refusal shows the page again with its reason beside the form `name`."""
    try:
        if body is not None:
            body.model_validate(values)
        await action(desk.call)
    except ValidationError as exc:
        reason = "；".join(field_message(error) for error in exc.errors())
        return await refused_page(desk, name, 422, reason, values)
    except HTTPException as exc:
        if exc.status_code == 404:
            raise
        return await refused_page(desk, name, exc.status_code, reason_of(exc), values)
    except TemporalUnavailable:
        return await refused_page(desk, name, 503, UNAVAILABLE, values)
    location = f"{PATH}/cases/{quote(desk.complaint_id)}?done={name}"
    return RedirectResponse(location, status_code=303)


async def refused_page(
    desk: Desk, name: str, status_code: int, reason: str, values: dict[str, Any]
) -> HTMLResponse:
    refused = {"action": name, "reason": reason, "values": values}
    return await _page(
        desk.user,
        desk.session,
        desk.temporal,
        desk.sealer,
        desk.tree,
        desk.complaint_id,
        status_code=status_code,
        refused=refused,
        file_limit=desk.file_limit,
    )


@router.post("/{complaint_id}/verification")
async def issue_verification(desk: DeskDep, addressees: Codes, instructions: Text = "") -> Response:
    values = {"addressees": addressees, "instructions": instructions}

    def issue(call: CaseCall) -> Awaitable[Any]:
        return case_service.issue_verification(
            call, tree=desk.tree, addressees=addressees, instructions=instructions
        )

    return await _act(desk, "verification", values, issue, VerificationIn)


@router.post("/{complaint_id}/opinion")
async def decide_opinion(
    desk: DeskDep, executing_units: Codes, attachments: Files, opinion: Text = ""
) -> Response:
    values = {"opinion": opinion, "executing_units": executing_units, "attachments": attachments}

    def decide(call: CaseCall) -> Awaitable[Any]:
        return case_service.decide_opinion(
            call,
            tree=desk.tree,
            opinion=opinion,
            executing_units=executing_units,
            attachments=attachments,
        )

    return await _act(desk, "opinion", values, decide, OpinionIn)


@router.post("/{complaint_id}/confirmation")
async def confirm_result(desk: DeskDep, conclusion: Text = "") -> Response:
    def confirm(call: CaseCall) -> Awaitable[Any]:
        return case_service.confirm_result(call, conclusion=conclusion)

    return await _act(desk, "confirmation", {"conclusion": conclusion}, confirm, ConfirmationIn)


@router.post("/{complaint_id}/rework")
async def rework(desk: DeskDep, executing_units: Codes, instructions: Text = "") -> Response:
    values = {"executing_units": executing_units, "instructions": instructions}

    def send_back(call: CaseCall) -> Awaitable[Any]:
        return case_service.rework(
            call, tree=desk.tree, executing_units=executing_units, instructions=instructions
        )

    return await _act(desk, "rework", values, send_back, ReworkIn)


@router.post("/{complaint_id}/informing")
async def inform_complainant(
    desk: DeskDep,
    attachments: Files,
    channel: Annotated[str, Form(max_length=16)] = "",
    message: Text = "",
    reached: Annotated[bool, Form()] = False,
    public_reply: Text = "",
) -> Response:
    values = {
        "channel": channel,
        "message": message,
        "reached": reached,
        "public_reply": public_reply,
        "attachments": attachments,
    }

    def inform(call: CaseCall) -> Awaitable[Any]:
        body = InformingIn.model_validate(values)
        return case_service.inform_complainant(
            call,
            sealer=desk.sealer,
            channel=body.channel,
            message=body.message,
            reached=body.reached,
            public_reply=body.public_reply,
            attachments=body.attachments,
        )

    return await _act(desk, "informing", values, inform)


@router.post("/{complaint_id}/slips/{slip_id}/return")
async def return_slip(
    desk: DeskDep, slip_id: SlipId, attachments: Files, response: Text = ""
) -> Response:
    def answer(call: CaseCall) -> Awaitable[Any]:
        return case_service.return_slip(
            call, slip_id=slip_id, response=response, attachments=attachments
        )

    values = {"response": response, "attachments": attachments}
    return await _act(desk, f"return-{slip_id}", values, answer, SlipReturnIn)


@router.post("/{complaint_id}/dispute")
async def raise_dispute(desk: DeskDep, proposed_unit: Unit = "", reason: Text = "") -> Response:
    def dispute(call: CaseCall) -> Awaitable[Any]:
        return case_service.raise_dispute(call, proposed_unit=proposed_unit, reason=reason)

    values = {"proposed_unit": proposed_unit, "reason": reason}
    return await _act(desk, "dispute", values, dispute, DisputeIn)


@router.post("/{complaint_id}/ruling")
async def rule_dispute(desk: DeskDep, handling_unit: Unit = "", reason: Text = "") -> Response:
    def rule(call: CaseCall) -> Awaitable[Any]:
        return case_service.rule_dispute(call, handling_unit=handling_unit, reason=reason)

    values = {"handling_unit": handling_unit, "reason": reason}
    return await _act(desk, "ruling", values, rule, RulingIn)


@router.post("/{complaint_id}/withdrawal")
async def withdraw(desk: DeskDep, reason: Text = "") -> Response:
    def record(call: CaseCall) -> Awaitable[Any]:
        return case_service.withdraw(call, reason=reason)

    return await _act(desk, "withdrawal", {"reason": reason}, record, WithdrawalIn)


@router.post("/{complaint_id}/assignee")
async def assign_case(
    desk: DeskDep, assignee: Annotated[str, Form(max_length=32)] = "", reason: Text = ""
) -> Response:
    def assign(call: CaseCall) -> Awaitable[Any]:
        return case_service.assign_case(call, assignee=assignee, reason=reason)

    values = {"assignee": assignee, "reason": reason}
    return await _act(desk, "assignee", values, assign, AssigneeIn)


@router.post("/{complaint_id}/link")
async def link_case(
    desk: DeskDep,
    clock: ClockDep,
    tracking_no: Annotated[str, Form(max_length=40)] = "",
    reason: Text = "",
) -> Response:
    """Link the case with another the unit sees (关联案件), as POST /api/complaints/{id}/links."""
    values = {"tracking_no": tracking_no, "reason": reason}

    def link(call: CaseCall) -> Awaitable[Any]:
        body = LinkIn(tracking_no=tracking_no, reason=reason)
        return store_call(
            desk.session,
            repeats.link_cases,
            desk.complaint_id,
            body,
            call.staff,
            session=desk.session,
            sealer=desk.sealer,
            now=clock(),
        )

    return await _act(desk, "link", values, link, LinkIn)
