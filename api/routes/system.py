"""GET /api/status: the system's state (运行状态), what `xueji status` prints, for ops."""

from fastapi import APIRouter, Request

from api.deps import ClockDep, SessionDep, StaffDep, TemporalDep, store_call
from api.schemas.system import AlertLink, CheckOut, SystemState
from api.system_status import check_runs_the_system, status_report

router = APIRouter(prefix="/api/status", tags=["status"])


@router.get("", responses={403: {"description": "不是最上级单位的系统管理员"}})
async def system_state(
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    temporal: TemporalDep,
    clock: ClockDep,
) -> SystemState:
    """The store and its schema, Temporal, the workers polling the task queue, the overdue
    cases and the unsent notifications (counts, no personal data), and the alert board's
    links; for the system administrator of the top unit only. Temporal down or silent is a
    check that is not ok, with the reason, within seconds."""
    await store_call(session, check_runs_the_system, session, staff)
    report = await status_report(request.app.state.settings, clock(), temporal)
    return SystemState(
        checked_at=report.checked_at,
        checks=[CheckOut(name=c.name, ok=c.ok, detail=c.detail) for c in report.checks],
        web_ui=report.web_ui,
        alert_links=[AlertLink(name=name, url=url) for name, url in report.alert_links],
    )
