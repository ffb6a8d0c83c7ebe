"""工作日历: the working-day calendar's years (official or estimated, and whence), and for the
Ministry's sysadmin and secadmin the load of a year's official arrangement in three steps:
type or upload it, see which running deadlines it would move and by how much (the dry run of
`POST /api/calendar/years/preview`), then load it and see the re-timing of the running cases
(`POST /api/calendar/years`). The same document and checks as the JSON route and
`xueji calendar load`; a bad one shows the form again, as typed, with every problem beside
its field (422), and changes nothing.

Re-timing runs inside the load's request today, so its result is shown at once; a durable
re-timing operation (issue 20) would show the same `Retiming` with `state` running instead.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.admin_scope import is_national, require_national
from api.calendar_preview import preview_year
from api.calendar_years import calendar_years
from api.case_names import Names
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, PostedByDep, acting_as
from api.console.render import page
from api.deps import CalendarDep, ClockDep, SessionDep, TemporalDep, store_call
from api.routes.calendar import load_and_retime, save_year
from domain.roles import CALENDAR_ADMINS, SCHOOL_ROLES, Role
from domain.workdays import SHANGHAI, WorkdayCalendar
from domain.year_files import CalendarFileError, YearArrangement, parse_year_document

router = APIRouter(prefix=PATH, tags=["console"], default_response_class=HTMLResponse)

EVERY_ROLE = tuple(Role)
FIELDS = ("year", "source", "holidays", "workdays")
LABELS = {
    "file": "年度安排文件",
    "year": "年份",
    "source": "来源",
    "holidays": "放假日期",
    "workdays": "调休上班日期",
}
MAX_FILE_BYTES = 64_000  # a year's file is a few hundred bytes
DAY_SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass
class Arrangement:
    """The year as typed (or uploaded), and what it became: an arrangement, or the problems
    by field."""

    values: dict[str, str]
    arrangement: YearArrangement | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)


@router.get("/calendar")
def calendar_page(
    user: ConsoleUserDep, session: SessionDep, calendar: CalendarDep, clock: ClockDep
) -> HTMLResponse:
    """The years; the form to load one for the Ministry's administrators."""
    acting_as(user, EVERY_ROLE, SCHOOL_ROLES)
    return _page(user, session, calendar, clock, may_load=_may_load(session, user))


@router.post("/calendar/preview")
async def preview_calendar_year(
    user: PostedByDep,
    session: SessionDep,
    calendar: CalendarDep,
    clock: ClockDep,
    year: Annotated[str, Form(max_length=20)] = "",
    source: Annotated[str, Form(max_length=200)] = "",
    holidays: Annotated[str, Form(max_length=4000)] = "",
    workdays: Annotated[str, Form(max_length=4000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """What the typed or uploaded year would move, with the button that loads it."""
    staff = acting_as(user, CALENDAR_ADMINS)
    await store_call(session, require_national, session, staff)
    typed = await _typed(year, source, holidays, workdays, file)
    if typed.arrangement is None:
        return await store_call(session, _refused, user, session, calendar, clock, typed)
    arrangement = typed.arrangement

    def previewed() -> HTMLResponse:
        found = preview_year(session, calendar(), arrangement, clock())
        return page(
            "console/calendar_preview.html",
            user=user,
            title=f"载入 {arrangement.year} 年安排前：将移动的期限",
            active="calendar",
            values=typed.values,
            carried={name: " ".join(value.split()) for name, value in typed.values.items()},
            arrangement=arrangement,
            found=found,
            units=Names(session),
            labels=LABELS,
        )

    return await store_call(session, previewed)


@router.post("/calendar/load")
async def load_calendar_year(
    user: PostedByDep,
    session: SessionDep,
    calendar: CalendarDep,
    clock: ClockDep,
    temporal: TemporalDep,
    year: Annotated[str, Form(max_length=20)] = "",
    source: Annotated[str, Form(max_length=200)] = "",
    holidays: Annotated[str, Form(max_length=4000)] = "",
    workdays: Annotated[str, Form(max_length=4000)] = "",
) -> HTMLResponse:
    """Load the year previewed, re-time the running cases and show how that went."""
    staff = acting_as(user, CALENDAR_ADMINS)
    await store_call(session, require_national, session, staff)
    typed = await _typed(year, source, holidays, workdays, None)
    if typed.arrangement is None:
        return await store_call(session, _refused, user, session, calendar, clock, typed)
    arrangement = typed.arrangement
    await store_call(session, save_year, session, arrangement, staff.username, clock())
    loaded = await load_and_retime(arrangement, temporal, clock)

    def answer() -> HTMLResponse:
        return _page(user, session, calendar, clock, may_load=True, loaded=loaded)

    return await store_call(session, answer)


def _may_load(session: Session, user: ConsoleUser) -> bool:
    return user.staff.role in CALENDAR_ADMINS and is_national(session, user.staff)


async def _typed(
    year: str, source: str, holidays: str, workdays: str, file: UploadFile | None
) -> Arrangement:
    """The year's document from the upload when one was chosen, else from the fields (dates
    one a line, or separated by spaces or commas), checked as `xueji calendar load` checks a
    file."""
    values = {"year": year.strip(), "source": source.strip(), "holidays": holidays.strip()}
    values["workdays"] = workdays.strip()
    if file is not None and file.filename:
        content = await file.read(MAX_FILE_BYTES + 1)
        document, problem = _uploaded(content)
        if problem:
            return Arrangement(values, errors=[("file", problem)])
        assert isinstance(document, dict)
        values = _shown(document)
    else:
        document = {
            "year": int(values["year"]) if values["year"].isdigit() else values["year"],
            "source": values["source"],
            "holidays": _dates(values["holidays"]),
            "workdays": _dates(values["workdays"]),
        }
    try:
        return Arrangement(values, parse_year_document(document))
    except CalendarFileError as exc:
        return Arrangement(
            values, errors=[(_field_of(problem), problem) for problem in exc.problems]
        )


def _uploaded(content: bytes) -> tuple[Any, str]:
    if len(content) > MAX_FILE_BYTES:
        return None, f"文件过大：不得超过 {MAX_FILE_BYTES // 1000} KB"
    try:
        document = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "不是 UTF-8 编码的文本"
    except json.JSONDecodeError as exc:
        return None, f"不是有效的 JSON，第 {exc.lineno} 行第 {exc.colno} 列有语法错误"
    if not isinstance(document, dict):
        return None, "顶层必须是 JSON 对象（year、source、holidays、workdays）"
    return document, ""


def _shown(document: dict[str, Any]) -> dict[str, str]:
    """An uploaded document as the form's fields show it."""

    def days(value: Any) -> str:
        return "\n".join(str(day) for day in value) if isinstance(value, list) else str(value)

    return {
        "year": str(document.get("year", "")),
        "source": str(document.get("source", "")),
        "holidays": days(document.get("holidays", [])),
        "workdays": days(document.get("workdays", [])),
    }


def _dates(text: str) -> list[str]:
    return [day for day in DAY_SEPARATORS.split(text) if day]


def _field_of(problem: str) -> str:
    """The form field a problem of year_files names (the last one named), else the file."""
    named = [(problem.rfind(f"“{name}”"), name) for name in FIELDS]
    position, name = max(named)
    return name if position >= 0 else "file"


def _refused(
    user: ConsoleUser,
    session: Session,
    calendar: Callable[[], WorkdayCalendar],
    clock: Callable[[], datetime],
    typed: Arrangement,
) -> HTMLResponse:
    """The page again with the year as typed and its problems beside their fields (422)."""
    return _page(
        user,
        session,
        calendar,
        clock,
        may_load=True,
        values=typed.values,
        errors=typed.errors,
        status_code=422,
    )


def _page(
    user: ConsoleUser,
    session: Session,
    calendar: Callable[[], WorkdayCalendar],
    clock: Callable[[], datetime],
    *,
    may_load: bool,
    values: dict[str, str] | None = None,
    errors: list[tuple[str, str]] | None = None,
    status_code: int = 200,
    **more: Any,
) -> HTMLResponse:
    today = clock().astimezone(SHANGHAI).date()
    return page(
        "console/calendar.html",
        status_code,
        user=user,
        title="工作日历",
        active="calendar",
        years=calendar_years(session, calendar(), today),
        may_load=may_load,
        values=values or {},
        errors=errors or [],
        labels=LABELS,
        **more,
    )
