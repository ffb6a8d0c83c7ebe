"""Personnel-table campaigns (人员信息报送, 附件3): what the JSON routes (api/routes/campaigns.py)
and the console's pages (api/console/campaigns.py) both do, so that no rule lives in one only.

The workflow decides reports, corrections and closing; the store's rows (written by the
workflow a moment later) answer who may see a campaign: one the caller's unit neither opened
nor reports to is 404.
"""

import uuid
from datetime import date, datetime, timedelta
from urllib.parse import quote

from fastapi import HTTPException, status
from sqlmodel import Session
from temporalio.service import RPCError

from activities.calendar import campaign_plan
from api import workflow_calls
from api.campaign_workbook import NotCompiled, compiled_workbook, unit_name
from api.deps import store_call
from api.schemas.campaigns import (
    CampaignDetail,
    CampaignOut,
    CampaignPlanOut,
    PlannedUnit,
    ReportIn,
    UnitStatusOut,
)
from api.security import Staff, field_error, has_role
from api.temporal_link import TemporalLink
from core.settings import Settings
from domain.orgtree import Level, OrgTree, OrgUnit, UnknownCodeError
from domain.records import (
    CampaignState,
    CampaignStatus,
    PersonnelEntry,
    PersonnelReport,
    UnitStatus,
)
from domain.roles import CASE_ACTORS
from domain.workdays import SHANGHAI, WorkdayCalendar
from store import campaigns as campaign_store
from store.models import Campaign, CampaignUnit
from store.sealing import Sealer
from workflows.campaign import CampaignWorkflow, initial_state
from workflows.messages.campaign import CampaignInput, CloseCampaign, SubmitReport

OPENER_LEVELS = (Level.NATIONAL, Level.PROVINCIAL)
NOT_FOUND = "报送征集不存在"
NOT_AN_OPENER = "只有教育部和省级教育行政部门可以发起人员信息报送"
MAX_DURATION = timedelta(days=366)


def may_open(staff: Staff, tree: OrgTree) -> bool:
    """Whether the caller may open campaigns: an actor of the Ministry or of a province."""
    if not has_role(staff, CASE_ACTORS):
        return False
    try:
        return tree.unit(staff.unit_code).level in OPENER_LEVELS
    except UnknownCodeError:
        return False


def units_below(tree: OrgTree, unit_code: str) -> list[OrgUnit]:
    """The bureaus directly below the unit, in the tree's order (what an opener picks from)."""
    try:
        return [unit for unit in tree.children(unit_code) if not unit.is_school]
    except UnknownCodeError:
        return []


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


def plan_opening(
    *,
    title: str,
    due_date: date,
    units: list[str],
    staff: Staff,
    tree: OrgTree,
    calendar: WorkdayCalendar,
    now: datetime,
) -> CampaignInput:
    """The campaign the caller would open, with its due and reminder times (nothing started):
    403 for a unit that may not open one, 422 naming the field for a wrong date or unit."""
    try:
        opener = tree.unit(staff.unit_code)
    except UnknownCodeError:
        raise HTTPException(403, detail="本单位已不在组织机构中") from None
    if opener.level not in OPENER_LEVELS:
        raise HTTPException(403, detail=NOT_AN_OPENER)
    today = now.astimezone(SHANGHAI).date()
    if due_date <= today:
        raise field_error(["due_date"], ["截止日期应晚于今天"])
    if due_date > today + MAX_DURATION:
        raise field_error(["due_date"], ["截止日期不能晚于一年之后"])
    checked = _checked_units(tree, opener.code, units)
    province = tree.province_of(opener.code)
    return CampaignInput(
        campaign_id=f"campaign-{uuid.uuid4().hex[:16]}",
        title=title,
        opener=opener.code,
        province=province.code if province else "",
        opened_at=now,
        units=checked,
        plan=campaign_plan(calendar, due_date),
    )


def plan_out(state_input: CampaignInput, tree: OrgTree) -> CampaignPlanOut:
    """The planned campaign as the page and POST /api/campaigns/plan show it."""
    return CampaignPlanOut(
        title=state_input.title,
        due=state_input.plan.due,
        remind_at=state_input.plan.remind_at,
        remind_estimated=state_input.plan.estimated,
        units=[PlannedUnit(code=code, name=unit_name(tree, code)) for code in state_input.units],
    )


async def start(state_input: CampaignInput, *, settings: Settings, temporal: TemporalLink) -> None:
    """Start the campaign's workflow; 503 when Temporal does not answer."""
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


def opened(state_input: CampaignInput, tree: OrgTree) -> CampaignOut:
    """A campaign just started, as the workflow begins it."""
    return state_out(initial_state(state_input), names(tree, state_input.units))


def names(tree: OrgTree, codes: list[str]) -> dict[str, str]:
    return {code: unit_name(tree, code) for code in codes}


def state_out(state: CampaignState, unit_names: dict[str, str]) -> CampaignOut:
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
                unit_name=unit_names.get(s.unit, s.unit),
                reported=s.submitted_at is not None,
                submitted_at=s.submitted_at,
                late=s.late,
                corrections=s.corrections,
            )
            for s in state.units
        ],
        missing=state.missing,
    )


def _row_out(
    campaign: Campaign, rows: list[CampaignUnit], unit_names: dict[str, str]
) -> CampaignOut:
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
    return state_out(state, unit_names)


def listing(session: Session, staff: Staff, tree: OrgTree) -> list[CampaignOut]:
    """Campaigns the caller's unit opened or must report to, newest first."""
    found = []
    for campaign in campaign_store.visible_campaigns(session, staff.unit_code):
        rows = campaign_store.units_of(session, campaign.id)
        found.append(_row_out(campaign, rows, names(tree, [r.unit_code for r in rows])))
    return found


def visible(session: Session, staff: Staff, campaign_id: str) -> Campaign:
    """The campaign if the caller's unit opened it or reports to it; 404 otherwise."""
    campaign = campaign_store.visible_campaign(session, campaign_id, staff.unit_code)
    if campaign is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
    return campaign


def detail(
    session: Session, staff: Staff, campaign_id: str, *, sealer: Sealer, tree: OrgTree
) -> CampaignDetail:
    """Who has reported and who is missing; a reporting unit also sees its own report."""
    campaign = visible(session, staff, campaign_id)
    reports = campaign_store.reports(session, campaign.id, sealer)
    rows = [row for row, _ in reports]
    own = next((report for row, report in reports if row.unit_code == staff.unit_code), None)
    summary = _row_out(campaign, rows, names(tree, [row.unit_code for row in rows]))
    return CampaignDetail(
        **summary.model_dump(),
        report=None if own is None else ReportIn.model_validate(own, from_attributes=True),
    )


def report_refusal(campaign: CampaignOut, unit_code: str, now: datetime) -> str | None:
    """Why the unit may not report or correct now (the workflow's own refusals, told before
    the form is filled); None when it may."""
    if campaign.status == CampaignStatus.CLOSED:
        return f"{campaign.title} 已结束，不能再报送"
    own = next((u for u in campaign.units if u.unit == unit_code), None)
    if own is None:
        return f"{unit_code} 不在本次报送范围内"
    if now > campaign.due and own.reported:
        due = campaign.due.astimezone(SHANGHAI)
        return f"已过报送截止时间 {due:%Y-%m-%d %H:%M}，不能再修改已报送的信息"
    return None


def close_refusal(campaign: CampaignOut, staff: Staff, now: datetime) -> str | None:
    """Why the caller may not close the campaign now; None when they may."""
    if staff.unit_code != campaign.opener or not has_role(staff, CASE_ACTORS):
        return "只有发起单位的承办人或负责人可以结束征集"
    if campaign.status == CampaignStatus.CLOSED:
        return f"{campaign.title} 已结束"
    if now <= campaign.due:
        due = campaign.due.astimezone(SHANGHAI)
        return f"截止时间 {due:%Y-%m-%d %H:%M} 前各单位仍可修改，不能提前结束"
    return None


async def submit(
    session: Session,
    staff: Staff,
    campaign_id: str,
    body: ReportIn,
    *,
    temporal: TemporalLink,
    tree: OrgTree,
) -> CampaignOut:
    """Report for the caller's unit, or correct the report (the workflow refuses a correction
    after the due time, 409)."""
    await store_call(session, visible, session, staff, campaign_id)
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
    return state_out(state, names(tree, [s.unit for s in state.units]))


async def close(
    session: Session, staff: Staff, campaign_id: str, *, temporal: TemporalLink, tree: OrgTree
) -> CampaignOut:
    """The opening unit closes the campaign after the due time (409 before it)."""
    await store_call(session, visible, session, staff, campaign_id)
    state: CampaignState = await workflow_calls.update(
        await temporal.client(),
        campaign_id,
        CampaignWorkflow.close,
        CloseCampaign(actor_unit=staff.unit_code),
    )
    return state_out(state, names(tree, [s.unit for s in state.units]))


def workbook(
    session: Session, staff: Staff, campaign_id: str, *, sealer: Sealer, tree: OrgTree
) -> tuple[bytes, dict[str, str]]:
    """The compiled list (内部工作协调人员名单) and its download headers; 409 until closed."""
    campaign = visible(session, staff, campaign_id)
    try:
        content = compiled_workbook(session, campaign, sealer, tree)
    except NotCompiled as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    assert campaign.closed_at is not None
    name = f"内部工作协调人员名单-{campaign.closed_at.astimezone(SHANGHAI):%Y%m%d}.xlsx"
    disposition = f"attachment; filename=\"{campaign.id}.xlsx\"; filename*=UTF-8''{quote(name)}"
    return content, {"Content-Disposition": disposition}
