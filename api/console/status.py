"""运行状态 (/console/status): what `xueji status` shows, and the alert board's links, for the
system administrator of the top unit (api.system_status.runs_the_system), through the same
service function as GET /api/status."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.console.auth import PATH, ConsoleUserDep
from api.console.render import page
from api.deps import ClockDep, SessionDep, TemporalDep, store_call
from api.system_status import check_runs_the_system, status_report

router = APIRouter(prefix=PATH, tags=["console"], default_response_class=HTMLResponse)


@router.get("/status")
async def system_status_page(
    request: Request,
    user: ConsoleUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    clock: ClockDep,
) -> HTMLResponse:
    await store_call(session, check_runs_the_system, session, user.staff)
    report = await status_report(request.app.state.settings, clock(), temporal)
    return page("console/status.html", user=user, title="运行状态", active="status", report=report)
