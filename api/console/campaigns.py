"""人员信息报送 in the console: the Ministry or a province opens a campaign for the units below
it (checked before it starts: due time and reminder day), each unit fills and corrects its
personnel table (附件3) until the due time, and the opener follows who reported, closes it
and downloads the compiled list.

Every page goes through api.campaign_service, as the JSON routes do; the workflow decides
reports, corrections and closing, and its refusals come back as pages with the reason.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from api import campaign_service
from api.audit_trail import PERSONAL_READ
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, PostedByDep, acting_as
from api.console.registration_form import Errors, FormRefused, form_reason
from api.console.render import page
from api.console.report_form import MAX_ENTRIES, ReportForm, phone_reason, refusal_of
from api.deps import (
    CalendarDep,
    ClockDep,
    SealerDep,
    SessionDep,
    SettingsDep,
    TemporalDep,
    TreeDep,
    store_call,
)
from api.schemas.campaigns import CampaignDetail, CampaignNew
from api.security import has_role
from domain.orgtree import OrgTree, OrgUnit
from domain.roles import CASE_ACTORS, CASE_STAFF
from domain.workdays import WorkdayCalendar
from store.sealing import Sealer
from workflows.messages.campaign import CampaignInput

router = APIRouter(
    prefix=f"{PATH}/campaigns", tags=["console"], default_response_class=HTMLResponse
)

CampaignId = Annotated[str, Path(max_length=64)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_NAMES = {
    "open": "报送中",
    "overdue": "已逾期（有单位未报送）",
    "closed": "已结束，名单已汇总",
}


async def _posted(request: Request) -> FormData:
    return await request.form()  # read once; the CSRF check reads the same parsed form


PostedForm = Annotated[FormData, Depends(_posted)]


@dataclass
class OpeningForm:
    """The opening form as typed: title, due date (YYYY-MM-DD) and the units picked."""

    title: str = ""
    due_date: str = ""
    units: list[str] = field(default_factory=list)
    all_units: bool = False

    @classmethod
    def posted(cls, form: FormData) -> "OpeningForm":
        def text(name: str) -> str:
            value = form.get(name, "")
            return value if isinstance(value, str) else ""

        units = [code for code in form.getlist("units") if isinstance(code, str)]
        return cls(text("title"), text("due_date"), units[:500], text("all_units") == "1")

    def campaign(self, below: list[OrgUnit]) -> CampaignNew:
        """The campaign asked for (全部下级单位 picks every unit below); raises FormRefused."""
        units = [unit.code for unit in below] if self.all_units else self.units
        body = {"title": self.title, "due_date": self.due_date, "units": units}
        try:
            return CampaignNew.model_validate(body)
        except ValidationError as exc:
            errors: Errors = {}
            for error in exc.errors():
                errors.setdefault(_control(error["loc"]), []).append(form_reason(dict(error)))
            raise FormRefused(errors) from None


def _control(location: tuple[object, ...] | list[object]) -> str:
    path = [str(part) for part in location if part != "body"]
    return path[0] if path and path[0] in ("title", "due_date") else "units"


def _campaign_staff(user: ConsoleUserDep) -> ConsoleUser:
    acting_as(user, CASE_STAFF)
    return user


def _actor(user: ConsoleUserDep) -> ConsoleUser:
    acting_as(user, CASE_ACTORS)
    return user


def _posting_actor(user: PostedByDep) -> ConsoleUser:
    acting_as(user, CASE_ACTORS)
    return user


StaffUser = Annotated[ConsoleUser, Depends(_campaign_staff)]
ActorUser = Annotated[ConsoleUser, Depends(_actor)]
PostingActor = Annotated[ConsoleUser, Depends(_posting_actor)]


@router.get("")
def campaigns(user: StaffUser, session: SessionDep, tree: TreeDep) -> HTMLResponse:
    """The campaigns the unit opened or reports to, newest first."""
    org = tree()
    return page(
        "console/campaigns.html",
        user=user,
        title="人员信息报送",
        active="campaigns",
        campaigns=campaign_service.listing(session, user.staff, org),
        may_open=campaign_service.may_open(user.staff, org),
        status_names=STATUS_NAMES,
    )


# ---------------------------------------------------------------------- opening


@router.get("/new")
def opening_form(user: ActorUser, tree: TreeDep) -> HTMLResponse:
    return _opening_page(user, tree(), OpeningForm())


@router.post("/new")
def opening_form_again(user: PostingActor, posted: PostedForm, tree: TreeDep) -> HTMLResponse:
    """The form as posted, back from the check page."""
    return _opening_page(user, tree(), OpeningForm.posted(posted))


def _opening_page(
    user: ConsoleUser,
    tree: OrgTree,
    form: OpeningForm,
    errors: Errors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if not campaign_service.may_open(user.staff, tree):
        raise HTTPException(403, detail=campaign_service.NOT_AN_OPENER)
    return page(
        "console/campaign_new.html",
        status_code,
        user=user,
        title="发起人员信息报送",
        active="campaigns",
        form=form,
        below=campaign_service.units_below(tree, user.staff.unit_code),
        errors=errors or {},
    )


def _planned(
    user: ConsoleUser, tree: OrgTree, form: OpeningForm, calendar: WorkdayCalendar, now: datetime
) -> CampaignInput:
    """The campaign the form opens, planned by the service; FormRefused naming the field."""
    below = campaign_service.units_below(tree, user.staff.unit_code)
    body = form.campaign(below)
    try:
        planned = campaign_service.plan_opening(
            title=body.title,
            due_date=body.due_date,
            units=body.units,
            staff=user.staff,
            tree=tree,
            calendar=calendar,
            now=now,
        )
    except HTTPException as exc:
        if exc.status_code != 422 or not isinstance(exc.detail, list):
            raise
        errors: Errors = {}
        for item in exc.detail:
            errors.setdefault(_control(item["loc"]), []).append(str(item["msg"]))
        raise FormRefused(errors) from None
    return planned


@router.post("/preview")
def opening_preview(
    user: PostingActor,
    posted: PostedForm,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
) -> HTMLResponse:
    """What opening would do (due time, the reminder day, 预计 when estimated, the units), to
    confirm; the form again with the reasons (422) when it cannot be opened."""
    org = tree()
    form = OpeningForm.posted(posted)
    try:
        planned = _planned(user, org, form, calendar(), clock())
    except FormRefused as refused:
        return _opening_page(user, org, form, refused.errors, 422)
    return page(
        "console/campaign_preview.html",
        user=user,
        title="核对报送要求",
        active="campaigns",
        form=form,
        planned=campaign_service.plan_out(planned, org),
    )


@router.post("", status_code=201)
async def open_campaign(
    user: PostingActor,
    posted: PostedForm,
    settings: SettingsDep,
    temporal: TemporalDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
) -> HTMLResponse:
    """Open the campaign: every unit picked is told at once."""
    org = tree()
    form = OpeningForm.posted(posted)
    try:
        planned = _planned(user, org, form, calendar(), clock())
    except FormRefused as refused:
        return _opening_page(user, org, form, refused.errors, 422)
    await campaign_service.start(planned, settings=settings, temporal=temporal)
    return page(
        "console/campaign_done.html",
        201,
        user=user,
        title="已发起报送",
        active="campaigns",
        campaign=campaign_service.opened(planned, org),
        done="opened",
    )


# ---------------------------------------------------------------------- one campaign


@router.get("/{campaign_id}")
def campaign_page(
    campaign_id: CampaignId,
    user: StaffUser,
    session: SessionDep,
    sealer: SealerDep,
    tree: TreeDep,
    clock: ClockDep,
) -> HTMLResponse:
    """Who reported, who is late, who is missing; the unit's own report and what it may do."""
    campaign = campaign_service.detail(session, user.staff, campaign_id, sealer=sealer, tree=tree())
    now = clock()
    reporting = any(unit.unit == user.staff.unit_code for unit in campaign.units)
    return page(
        "console/campaign.html",
        user=user,
        title=campaign.title,
        active="campaigns",
        campaign=campaign,
        now=now,
        status_names=STATUS_NAMES,
        opener_name=campaign_service.names(tree(), [campaign.opener])[campaign.opener],
        reporting=reporting,
        report_refusal=(
            campaign_service.report_refusal(campaign, user.staff.unit_code, now)
            if reporting
            else None
        ),
        close_refusal=campaign_service.close_refusal(campaign, user.staff, now),
        acts=has_role(user.staff, CASE_ACTORS),
    )


@router.get("/{campaign_id}/report")
def report_form(
    campaign_id: CampaignId,
    user: ActorUser,
    session: SessionDep,
    sealer: SealerDep,
    tree: TreeDep,
    clock: ClockDep,
) -> HTMLResponse:
    """The unit's table, filled with what it reported; the reason instead when it may not."""
    campaign = campaign_service.detail(session, user.staff, campaign_id, sealer=sealer, tree=tree())
    _check_reporting(user, campaign)
    refusal = campaign_service.report_refusal(campaign, user.staff.unit_code, clock())
    if refusal is not None:
        raise HTTPException(409, detail=refusal)
    return _report_page(user, campaign, ReportForm.of_report(campaign.report))


@router.post("/{campaign_id}/report/form")
def report_form_again(
    campaign_id: CampaignId,
    user: PostingActor,
    posted: PostedForm,
    session: SessionDep,
    sealer: SealerDep,
    tree: TreeDep,
) -> HTMLResponse:
    """The form as posted with a row added or removed (without JavaScript, and htmx's too)."""
    campaign = campaign_service.detail(session, user.staff, campaign_id, sealer=sealer, tree=tree())
    form = ReportForm.posted(posted)
    removing = str(posted.get("remove_row", ""))
    remove = int(removing) if removing.isdigit() else None
    return _report_page(user, campaign, form, add=bool(posted.get("add_row")), remove=remove)


@router.post("/{campaign_id}/report")
async def submit_report(
    campaign_id: CampaignId,
    user: PostingActor,
    posted: PostedForm,
    session: SessionDep,
    temporal: TemporalDep,
    sealer: SealerDep,
    tree: TreeDep,
) -> HTMLResponse:
    """Report, or correct the report: the form again with the reasons (422) when it cannot
    be taken; the workflow's refusal (after the due time, 409) as a page with the reason."""
    form = ReportForm.posted(posted)
    org = tree()
    try:
        report = form.report()
        campaign = await campaign_service.submit(
            session, user.staff, campaign_id, report, temporal=temporal, tree=org
        )
    except FormRefused as refused:
        return await _refused_report(user, session, sealer, org, campaign_id, form, refused)
    except HTTPException as exc:
        found = refusal_of(exc.detail, form) if exc.status_code == 422 else None
        if found is None:
            raise
        return await _refused_report(user, session, sealer, org, campaign_id, form, found)
    return page(
        "console/campaign_done.html",
        user=user,
        title="已报送",
        active="campaigns",
        campaign=campaign,
        done="reported",
        own=next(unit for unit in campaign.units if unit.unit == user.staff.unit_code),
    )


async def _refused_report(
    user: ConsoleUser,
    session: Session,
    sealer: Sealer,
    tree: OrgTree,
    campaign_id: str,
    form: ReportForm,
    refused: FormRefused,
) -> HTMLResponse:
    campaign = await store_call(
        session, campaign_service.detail, session, user.staff, campaign_id, sealer=sealer, tree=tree
    )
    return _report_page(user, campaign, form, errors=refused.errors, status_code=422)


def _check_reporting(user: ConsoleUser, campaign: CampaignDetail) -> None:
    """403 unless the user's unit is one that must report."""
    if not any(unit.unit == user.staff.unit_code for unit in campaign.units):
        raise HTTPException(403, detail="本单位不在本次报送范围内，只有报送单位填写人员信息表")


def _report_page(
    user: ConsoleUser,
    campaign: CampaignDetail,
    form: ReportForm,
    *,
    add: bool = False,
    remove: int | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _check_reporting(user, campaign)
    rows = form.rows(add=add, remove=remove)
    return page(
        "console/campaign_report.html",
        status_code,
        user=user,
        title="填写人员信息表",
        active="campaigns",
        campaign=campaign,
        form=form,
        rows=rows,
        focus_row=len(rows) - 1 if add else None,
        max_entries=MAX_ENTRIES,
        errors=errors or {},
        corrected=campaign.report is not None,
    )


@router.post("/phone-check")
def phone_check(
    user: PostingActor,
    posted: PostedForm,
    name: Literal["office_phone", "mobile", "public_phone"],
    row: Annotated[int, Query(ge=0, lt=MAX_ENTRIES)] = 0,
) -> HTMLResponse:
    """The check of one phone field as it is typed (htmx, on change): its reason, or the
    number as it will be recorded. The report is checked again in full when it is sent."""
    values = [value for value in posted.getlist(name) if isinstance(value, str)]
    value = values[row] if 0 <= row < len(values) else ""
    reason, canonical = phone_reason(name, value)
    return page("console/phone_check.html", reason=reason, canonical=canonical)


@router.post("/{campaign_id}/close")
async def close_campaign(
    campaign_id: CampaignId,
    user: PostingActor,
    session: SessionDep,
    temporal: TemporalDep,
    tree: TreeDep,
) -> HTMLResponse:
    """The opening unit closes the campaign after the due time (409 with the reason before)."""
    campaign = await campaign_service.close(
        session, user.staff, campaign_id, temporal=temporal, tree=tree()
    )
    return page(
        "console/campaign_done.html",
        user=user,
        title="已结束报送",
        active="campaigns",
        campaign=campaign,
        done="closed",
    )


@router.get("/{campaign_id}/workbook.xlsx", dependencies=[PERSONAL_READ])
def workbook(
    campaign_id: CampaignId,
    user: StaffUser,
    session: SessionDep,
    sealer: SealerDep,
    tree: TreeDep,
) -> Response:
    """The compiled list (内部工作协调人员名单), as GET /api/campaigns/{id}/workbook.xlsx."""
    content, headers = campaign_service.workbook(
        session, user.staff, campaign_id, sealer=sealer, tree=tree()
    )
    return Response(content, media_type=XLSX, headers=headers)
