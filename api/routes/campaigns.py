"""/api/campaigns: collecting the personnel table (附件3, 人员信息表) from units.

The Ministry opens a campaign for any units below it, a province for its prefectures and
counties. Reporting units send their people and public complaint phone and e-mail, and may
correct them until the due date; after it the compiled list (内部工作协调人员名单) is an
Excel workbook for the opening and the reporting units only. A campaign the caller's unit
neither opened nor reports to is 404.
"""

import uuid
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Response, status
from sqlmodel import Session
from temporalio.service import RPCError

from activities.calendar import campaign_plan
from api import workflow_calls
from api.audit_trail import PERSONAL_READ
from api.campaign_workbook import NotCompiled, compiled_workbook, unit_name
from api.deps import (
    CalendarDep,
    CaseActorDep,
    CaseStaffDep,
    ClockDep,
    SealerDep,
    SessionDep,
    SettingsDep,
    TemporalDep,
    TreeDep,
    store_call,
)
from api.schemas.campaigns import CampaignDetail, CampaignNew, CampaignOut, ReportIn, UnitStatusOut
from api.security import Staff, field_error
from domain.orgtree import Level, OrgTree, UnknownCodeError
from domain.records import (
    CampaignState,
    CampaignStatus,
    PersonnelEntry,
    PersonnelReport,
    UnitStatus,
)
from domain.workdays import SHANGHAI
from store import campaigns as campaign_store
from store.models import Campaign, CampaignUnit
from workflows.campaign import CampaignWorkflow, initial_state
from workflows.messages.campaign import CampaignInput, CloseCampaign, SubmitReport

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"])

CampaignId = Annotated[str, Path(max_length=64)]
OPENER_LEVELS = (Level.NATIONAL, Level.PROVINCIAL)
NOT_FOUND = "报送征集不存在"
MAX_DURATION = timedelta(days=366)


def _checked_units(tree: OrgTree, opener: str, units: list[str]) -> list[str]:
    """The units, each below the opener; a 422 names the first wrong one."""
    seen: set[str] = set()
    for index, code in enumerate(units):
        try:
            tree.unit(code)
        except UnknownCodeError as exc:
            raise field_error(["units", index], [str(exc)]) from None
        if code == opener or opener not in tree.path(code):
            raise field_error(["units", index], [f"{code} 不是本单位的下级单位"])
        if code in seen:
            raise field_error(["units", index], [f"{code} 重复"])
        seen.add(code)
    return units


def _names(tree: OrgTree, codes: list[str]) -> dict[str, str]:
    return {code: unit_name(tree, code) for code in codes}


def _state_out(state: CampaignState, names: dict[str, str]) -> CampaignOut:
    return CampaignOut(
        id=state.campaign_id,
        title=state.title,
        opener=state.opener,
        status=state.status,
        opened_at=state.opened_at,
        due=state.due,
        remind_at=state.remind_at,
        remind_estimated=state.remind_estimated,
        reminded_at=state.reminded_at,
        alerted_at=state.alerted_at,
        closed_at=state.closed_at,
        units=[
            UnitStatusOut(
                unit=s.unit,
                unit_name=names.get(s.unit, s.unit),
                reported=s.submitted_at is not None,
                submitted_at=s.submitted_at,
                late=s.late,
                corrections=s.corrections,
            )
            for s in state.units
        ],
        missing=state.missing,
    )


def _row_out(campaign: Campaign, rows: list[CampaignUnit], names: dict[str, str]) -> CampaignOut:
    """The stored campaign, shown as the workflow's state would be."""
    state = CampaignState(
        campaign_id=campaign.id,
        title=campaign.title,
        opener=campaign.opener_unit,
        status=CampaignStatus(campaign.status),
        opened_at=campaign.opened_at,
        due=campaign.due,
        remind_at=campaign.remind_at,
        units=[
            UnitStatus(
                unit=row.unit_code,
                submitted_at=row.submitted_at,
                late=row.late,
                corrections=row.corrections,
            )
            for row in rows
        ],
        reminded_at=campaign.reminded_at,
        alerted_at=campaign.alerted_at,
        closed_at=campaign.closed_at,
        remind_estimated=campaign.remind_estimated,
    )
    return _state_out(state, names)


@router.post("", status_code=201, responses={403: {}, 422: {}, 503: {}})
async def open_campaign(
    body: CampaignNew,
    staff: CaseActorDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
) -> CampaignOut:
    """Open a campaign (the Ministry, or a province for its prefectures and counties); every
    unit is told at once, reminded three working days before the due date if it has not
    reported, and alerted when the date has passed."""
    org = tree()
    try:
        opener = org.unit(staff.unit_code)
    except UnknownCodeError:
        raise HTTPException(403, detail="本单位已不在组织机构中") from None
    if opener.level not in OPENER_LEVELS:
        raise HTTPException(403, detail="只有教育部和省级教育行政部门可以发起人员信息报送")
    now = clock()
    today = now.astimezone(SHANGHAI).date()
    if body.due_date <= today:
        raise field_error(["due_date"], ["截止日期应晚于今天"])
    if body.due_date > today + MAX_DURATION:
        raise field_error(["due_date"], ["截止日期不能晚于一年之后"])
    units = _checked_units(org, opener.code, body.units)
    province = org.province_of(opener.code)
    state_input = CampaignInput(
        campaign_id=f"campaign-{uuid.uuid4().hex[:16]}",
        title=body.title,
        opener=opener.code,
        province=province.code if province else "",
        opened_at=now,
        units=units,
        plan=campaign_plan(calendar(), body.due_date),
    )
    client = await temporal.client()
    try:
        await client.start_workflow(
            CampaignWorkflow.run,
            state_input,
            id=state_input.campaign_id,
            task_queue=settings.temporal_task_queue,
        )
    except RPCError:
        raise HTTPException(503, detail=workflow_calls.UNAVAILABLE) from None
    return _state_out(initial_state(state_input), _names(org, units))


@router.get("")
def list_campaigns(staff: CaseStaffDep, session: SessionDep, tree: TreeDep) -> list[CampaignOut]:
    """Campaigns the caller's unit opened or must report to, newest first."""
    org = tree()
    found = []
    for campaign in campaign_store.visible_campaigns(session, staff.unit_code):
        rows = campaign_store.units_of(session, campaign.id)
        found.append(_row_out(campaign, rows, _names(org, [r.unit_code for r in rows])))
    return found


def _visible(session: Session, staff: Staff, campaign_id: str) -> Campaign:
    campaign = campaign_store.visible_campaign(session, campaign_id, staff.unit_code)
    if campaign is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
    return campaign


@router.get("/{campaign_id}", responses={404: {}})
def get_campaign(
    campaign_id: CampaignId,
    staff: CaseStaffDep,
    session: SessionDep,
    sealer: SealerDep,
    tree: TreeDep,
) -> CampaignDetail:
    """Who has reported and who is missing; a reporting unit also sees its own report."""
    campaign = _visible(session, staff, campaign_id)
    opened = campaign_store.reports(session, campaign.id, sealer)
    rows = [row for row, _ in opened]
    own = next((report for row, report in opened if row.unit_code == staff.unit_code), None)
    summary = _row_out(campaign, rows, _names(tree(), [row.unit_code for row in rows]))
    return CampaignDetail(
        **summary.model_dump(),
        report=None if own is None else ReportIn.model_validate(own, from_attributes=True),
    )


@router.put("/{campaign_id}/report", responses={403: {}, 404: {}, 409: {}, 422: {}, 503: {}})
async def submit_report(
    campaign_id: CampaignId,
    body: ReportIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
    tree: TreeDep,
) -> CampaignOut:
    """Report for the caller's unit, or correct the report; corrections end at the due time,
    while a unit that has not reported may still report late (逾期补报) until the campaign
    closes."""
    await store_call(session, _visible, session, staff, campaign_id)
    report = PersonnelReport(
        entries=[PersonnelEntry(**entry.model_dump()) for entry in body.entries],
        public_phone=body.public_phone,
        public_email=body.public_email,
    )
    state: CampaignState = await workflow_calls.update(
        await temporal.client(),
        campaign_id,
        CampaignWorkflow.submit,
        SubmitReport(actor_unit=staff.unit_code, report=report),
    )
    return _state_out(state, _names(tree(), [s.unit for s in state.units]))


@router.post("/{campaign_id}/close", responses={403: {}, 404: {}, 409: {}, 503: {}})
async def close_campaign(
    campaign_id: CampaignId,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
    tree: TreeDep,
) -> CampaignOut:
    """The opening unit closes the campaign after the due date although units are missing;
    the list is compiled from the reports in hand."""
    await store_call(session, _visible, session, staff, campaign_id)
    state: CampaignState = await workflow_calls.update(
        await temporal.client(),
        campaign_id,
        CampaignWorkflow.close,
        CloseCampaign(actor_unit=staff.unit_code),
    )
    return _state_out(state, _names(tree(), [s.unit for s in state.units]))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/{campaign_id}/workbook.xlsx",
    dependencies=[PERSONAL_READ],
    response_class=Response,
    responses={
        200: {"content": {XLSX: {}}, "description": "内部工作协调人员名单"},
        404: {},
        409: {},
    },
)
def get_workbook(
    campaign_id: CampaignId,
    staff: CaseStaffDep,
    session: SessionDep,
    sealer: SealerDep,
    tree: TreeDep,
) -> Response:
    """The compiled internal coordination list (内部工作协调人员名单) as an Excel workbook, for
    staff of the opening and the reporting units once the campaign has closed."""
    campaign = _visible(session, staff, campaign_id)
    try:
        content = compiled_workbook(session, campaign, sealer, tree())
    except NotCompiled as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    assert campaign.closed_at is not None
    name = f"内部工作协调人员名单-{campaign.closed_at.astimezone(SHANGHAI):%Y%m%d}.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{campaign.id}.xlsx"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )
