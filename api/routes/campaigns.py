"""/api/campaigns: collecting the personnel table (附件3, 人员信息表) from units.

The Ministry opens a campaign for any units below it, a province for its prefectures and
counties. Reporting units send their people and public complaint phone and e-mail, and may
correct them until the due date; after it the compiled list (内部工作协调人员名单) is an
Excel workbook for the opening and the reporting units only. A campaign the caller's unit
neither opened nor reports to is 404. The rules are api.campaign_service's, which the
console's pages use too.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api import campaign_service
from api.audit_trail import PERSONAL_READ
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
)
from api.schemas.campaigns import (
    CampaignDetail,
    CampaignNew,
    CampaignOut,
    CampaignPlanOut,
    ReportIn,
)

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"])

CampaignId = Annotated[str, Path(max_length=64)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    state_input = campaign_service.plan_opening(
        title=body.title,
        due_date=body.due_date,
        units=body.units,
        staff=staff,
        tree=org,
        calendar=calendar(),
        now=clock(),
    )
    await campaign_service.start(state_input, settings=settings, temporal=temporal)
    return campaign_service.opened(state_input, org)


@router.post("/plan", responses={403: {}, 422: {}})
def plan_campaign(
    body: CampaignNew,
    staff: CaseActorDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
) -> CampaignPlanOut:
    """What opening this campaign would do, nothing opened: its due time, the reminder time
    (and whether that day is estimated) and the units checked, with the refusals of opening."""
    org = tree()
    state_input = campaign_service.plan_opening(
        title=body.title,
        due_date=body.due_date,
        units=body.units,
        staff=staff,
        tree=org,
        calendar=calendar(),
        now=clock(),
    )
    return campaign_service.plan_out(state_input, org)


@router.get("")
def list_campaigns(staff: CaseStaffDep, session: SessionDep, tree: TreeDep) -> list[CampaignOut]:
    """Campaigns the caller's unit opened or must report to, newest first."""
    return campaign_service.listing(session, staff, tree())


@router.get("/{campaign_id}", responses={404: {}})
def get_campaign(
    campaign_id: CampaignId,
    staff: CaseStaffDep,
    session: SessionDep,
    sealer: SealerDep,
    tree: TreeDep,
) -> CampaignDetail:
    """Who has reported and who is missing; a reporting unit also sees its own report."""
    return campaign_service.detail(session, staff, campaign_id, sealer=sealer, tree=tree())


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
    return await campaign_service.submit(
        session, staff, campaign_id, body, temporal=temporal, tree=tree()
    )


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
    return await campaign_service.close(session, staff, campaign_id, temporal=temporal, tree=tree())


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
    content, headers = campaign_service.workbook(
        session, staff, campaign_id, sealer=sealer, tree=tree()
    )
    return Response(content, media_type=XLSX, headers=headers)
