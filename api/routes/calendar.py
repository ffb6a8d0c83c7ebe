"""/api/calendar: the working-day calendar years (法定节假日与调休), as `xueji calendar` does:
the years and their sources, a year's days, the preview of a load (dry run) and the load."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, status
from sqlmodel import Session
from temporalio.service import RPCError

from api.admin_scope import require_national
from api.calendar_preview import preview_year
from api.calendar_years import RETIME_HINT, calendar_years, retime_running_cases, year_view
from api.deps import (
    CalendarAdminDep,
    CalendarDep,
    ClockDep,
    SessionDep,
    StaffDep,
    TemporalDep,
    store_call,
)
from api.schemas.calendar import YearLoaded, YearPreview, YearRow
from api.temporal_link import TemporalLink
from domain.workdays import SHANGHAI
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


def arrangement_of(document: Any) -> YearArrangement:
    """The year's arrangement; a 422 listing every problem of a bad document."""
    try:
        return parse_year_document(document)
    except CalendarFileError as exc:
        detail = [
            {"loc": ["body"], "msg": problem, "type": "value_error"} for problem in exc.problems
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail) from None


@router.get("/years")
def years(
    session: SessionDep, _: StaffDep, calendar: CalendarDep, clock: ClockDep
) -> list[YearRow]:
    """Last year to the year after next and every loaded year: official or estimated, and
    where the data comes from (loaded by whom and when)."""
    return calendar_years(session, calendar(), clock().astimezone(SHANGHAI).date())


@router.post("/years/preview", responses={403: {}, 422: {}})
async def preview_load(
    document: Annotated[Any, YEAR_DOCUMENT],
    staff: CalendarAdminDep,
    session: SessionDep,
    calendar: CalendarDep,
    clock: ClockDep,
) -> YearPreview:
    """What loading the document would move (dry run, nothing saved): each running deadline
    of a case (old and new due time, working and calendar days) and each campaign reminder.
    The same administrators as the load."""
    await store_call(session, require_national, session, staff)
    arrangement = arrangement_of(document)
    return await store_call(
        session, lambda: preview_year(session, calendar(), arrangement, clock())
    )


@router.post("/years", responses={403: {}, 422: {}, 503: {}})
async def load_year(
    document: Annotated[Any, YEAR_DOCUMENT],
    staff: CalendarAdminDep,
    session: SessionDep,
    clock: ClockDep,
    temporal: TemporalDep,
) -> YearLoaded:
    """Save one year's official arrangement, then have every running case re-time its
    deadlines: a national setting, so a sysadmin or secadmin of the Ministry (the top unit)
    only. A bad document changes nothing and lists every problem. The answer says how the
    re-timing went (`retiming`: how many told, which could not be)."""
    await store_call(session, require_national, session, staff)
    arrangement = arrangement_of(document)
    await store_call(session, save_year, session, arrangement, staff.username, clock())
    return await load_and_retime(arrangement, temporal, clock)


async def load_and_retime(
    arrangement: YearArrangement, temporal: TemporalLink, clock: Callable[[], datetime]
) -> YearLoaded:
    """Tell the running cases of a year just saved; 503 (saying what to run later) when
    Temporal is out of reach."""
    try:
        report = await retime_running_cases(await temporal.client(), clock)
    except (ConnectionError, RPCError):
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"{arrangement.year} 年安排已保存，但 Temporal 服务无法连接，"
            f"运行中的案件尚未重新计算期限；{RETIME_HINT}",
        ) from None
    return YearLoaded(
        year=arrangement.year,
        holidays=len(arrangement.holidays),
        workdays=len(arrangement.workdays),
        cases_retimed=report.signalled,
        retiming=report,
    )


def save_year(
    session: Session, arrangement: YearArrangement, loaded_by: str, now: datetime
) -> None:
    """Save the year (replacing the one loaded before) and commit."""
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
