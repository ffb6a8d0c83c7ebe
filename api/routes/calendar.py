"""/api/calendar: the working-day calendar years (法定节假日与调休), as `xueji calendar` does."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, status
from sqlmodel import Session
from temporalio.service import RPCError

from api.admin_scope import require_national
from api.calendar_years import RETIME_HINT, retime_running_cases, year_view
from api.deps import (
    CalendarAdminDep,
    CalendarDep,
    ClockDep,
    SessionDep,
    StaffDep,
    TemporalDep,
    store_call,
)
from domain.year_files import (
    MAX_FILE_YEAR,
    MIN_FILE_YEAR,
    CalendarFileError,
    YearArrangement,
    parse_year_document,
)
from store.calendar import save_calendar_year

router = APIRouter(prefix="/api/calendar", tags=["calendar"])

YEAR_DOCUMENT = Body(
    description="与 xueji calendar load 的文件相同：year、source、holidays、workdays",
    examples=[{"year": 2031, "source": "国办发明电", "holidays": ["2031-01-01"], "workdays": []}],
)


@router.post("/years", responses={403: {}, 422: {}, 503: {}})
async def load_year(
    document: Annotated[Any, YEAR_DOCUMENT],
    staff: CalendarAdminDep,
    session: SessionDep,
    clock: ClockDep,
    temporal: TemporalDep,
) -> dict[str, Any]:
    """Save one year's official arrangement, then have every running case re-time its
    deadlines: a national setting, so a sysadmin or secadmin of the Ministry (the top unit)
    only. A bad document changes nothing and lists every problem."""
    await store_call(session, require_national, session, staff)
    try:
        arrangement = parse_year_document(document)
    except CalendarFileError as exc:
        detail = [
            {"loc": ["body"], "msg": problem, "type": "value_error"} for problem in exc.problems
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail) from None
    await store_call(session, _save, session, arrangement, staff.username, clock())
    try:
        told = await retime_running_cases(await temporal.client())
    except (ConnectionError, RPCError):
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"{arrangement.year} 年安排已保存，但 Temporal 服务无法连接，"
            f"运行中的案件尚未重新计算期限；{RETIME_HINT}",
        ) from None
    return {
        "year": arrangement.year,
        "holidays": len(arrangement.holidays),
        "workdays": len(arrangement.workdays),
        "cases_retimed": told,
    }


def _save(session: Session, arrangement: YearArrangement, loaded_by: str, now: datetime) -> None:
    save_calendar_year(session, arrangement, loaded_by=loaded_by, now=now)
    session.commit()


@router.get("/years/{year}")
def show_year(
    year: Annotated[int, Path(ge=MIN_FILE_YEAR, le=MAX_FILE_YEAR)],
    _: StaffDep,
    calendar: CalendarDep,
) -> dict[str, Any]:
    """The year's source (official / estimated), weekday holidays and weekend make-up days."""
    return year_view(calendar(), year)
