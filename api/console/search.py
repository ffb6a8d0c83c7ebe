"""案件查询: the cases the caller's unit may see, found by the filters of `GET /api/complaints`
(the same CaseQuery, CaseFilter and store query), 50 a page, and the list as a workbook with
its filters on the first rows. Bad input shows the form again with the reasons (422)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.audit_trail import PERSONAL_READ
from api.case_names import Names
from api.case_rows import CHANNEL_NAMES, case_rows
from api.case_search import CaseQuery, case_filter, listed_cases
from api.case_workbook import MAX_ROWS, build_workbook
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, acting_as
from api.console.render import page
from api.deps import MAX_OFFSET, ClockDep, SealerDep, SessionDep, SettingsDep
from api.errors import chinese_message
from domain.ids import mask_id_card, mask_phone
from domain.process import STAGE_NAMES
from domain.roles import CASE_STAFF
from domain.workdays import SHANGHAI
from store.queries import CaseFilter

router = APIRouter(prefix=PATH, tags=["console"], default_response_class=HTMLResponse)

PAGE_SIZE = 50
FIELDS = tuple(CaseQuery.model_fields)
DATES = ("received_from", "received_to")  # days in the form, Beijing time; "to" inclusive
LABELS = {  # the workbook's filter rows and the error summary
    "tracking_no": "受理编号",
    "school": "学校",
    "phone": "投诉人电话",
    "id_card": "投诉人身份证号",
    "student_name": "学生姓名",
    "q": "投诉内容关键词",
    "stage": "当前环节",
    "overdue": "是否超期",
    "handling_unit": "处理单位",
    "province": "省级单位",
    "channel": "受理渠道",
    "received_from": "受理日期（起）",
    "received_to": "受理日期（止）",
    "assignee": "承办人",
    "unassigned": "未指定承办人",
}
ADVANCED = frozenset(FIELDS) - {"tracking_no", "school", "phone", "id_card", "student_name", "q"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Search:
    """The form as typed, and what it became: the store's filter, or the reasons it is not one."""

    values: dict[str, str]
    query: CaseQuery | None = None
    filters: CaseFilter | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)


@router.get("/cases")
def search_cases(
    request: Request,
    user: ConsoleUserDep,
    session: SessionDep,
    settings: SettingsDep,
    sealer: SealerDep,
) -> HTMLResponse:
    """The search form and, for valid input, the page of matching cases, newest first."""
    staff = acting_as(user, CASE_STAFF)
    search = _search(request, settings.lookup_key_bytes)
    if search.filters is None:
        return _form(user, search, 422)
    offset = _offset(request.query_params.get("offset", ""))
    found = listed_cases(
        session, staff.unit_code, search.filters, sealer, offset=offset, limit=PAGE_SIZE
    )
    query = urlencode(search.values)
    return _form(
        user,
        search,
        200,
        found=found,
        rows=case_rows(session, found.items),
        query=query,
        previous=max(offset - PAGE_SIZE, 0) if offset else None,
        following=(
            offset + PAGE_SIZE if offset + PAGE_SIZE < found.total or found.total_capped else None
        ),
    )


@router.get("/cases.xlsx", dependencies=[PERSONAL_READ], response_class=Response)
def export_cases(
    request: Request,
    user: ConsoleUserDep,
    session: SessionDep,
    settings: SettingsDep,
    sealer: SealerDep,
    clock: ClockDep,
) -> Response:
    """The matching cases (the newest MAX_ROWS) as a workbook, the filters on its first rows."""
    staff = acting_as(user, CASE_STAFF)
    search = _search(request, settings.lookup_key_bytes)
    if search.filters is None:
        return _form(user, search, 422)
    found = listed_cases(session, staff.unit_code, search.filters, sealer, offset=0, limit=MAX_ROWS)
    now = clock()
    workbook = build_workbook(
        rows=case_rows(session, found.items),
        filters=_described(session, search),
        total=found.total,
        total_capped=found.total_capped,
        exported_at=now,
        exported_by=f"{user.unit_name} {user.display_name}（{staff.username}）",
    )
    stamp = now.astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    disposition = f"attachment; filename=\"cases-{stamp}.xlsx\"; filename*=UTF-8''" + quote(
        f"案件查询结果-{stamp}.xlsx"
    )
    return Response(
        workbook,
        media_type=XLSX,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


def _search(request: Request, key: bytes) -> Search:
    """The form's values (blank ones left out) through the JSON list's CaseQuery and
    case_filter; days of the form become Beijing times, the last day included."""
    params = request.query_params
    values = {name: params.get(name, "").strip() for name in FIELDS}
    search = Search({name: value for name, value in values.items() if value})
    given: dict[str, object] = dict(search.values)
    for name in DATES:
        if name in given:
            try:
                day = date.fromisoformat(search.values[name])
            except ValueError:
                search.errors.append((name, "应为日期，如 2026-09-30"))
                continue
            day += timedelta(days=1) if name == "received_to" else timedelta(0)
            given[name] = datetime.combine(day, time(), SHANGHAI)
    if search.errors:
        return search
    try:
        search.query = CaseQuery.model_validate(given)
        search.filters = case_filter(search.query, key)
    except ValidationError as exc:
        search.errors = [
            (str(error["loc"][0]), chinese_message(dict(error))) for error in exc.errors()
        ]
    except HTTPException as exc:
        if exc.status_code != 422 or not isinstance(exc.detail, list):
            raise
        search.filters = None
        search.errors = [(str(error["loc"][-1]), str(error["msg"])) for error in exc.detail]
    return search


def _offset(value: str) -> int:
    """The page's first row; a number out of range or no number is the first page."""
    return int(value) if value.isdigit() and int(value) <= MAX_OFFSET else 0


def _form(user: ConsoleUser, search: Search, status_code: int, **results: object) -> HTMLResponse:
    return page(
        "console/search.html",
        status_code,
        user=user,
        title="案件查询",
        active="cases",
        values=search.values,
        errors=search.errors,
        labels=LABELS,
        advanced_open=bool(ADVANCED & (set(search.values) | {name for name, _ in search.errors})),
        stages=[(stage.value, name) for stage, name in STAGE_NAMES.items()],
        channels=[(channel.value, name) for channel, name in CHANNEL_NAMES.items()],
        page_size=PAGE_SIZE,
        max_rows=MAX_ROWS,
        **results,
    )


def _described(session: Session, search: Search) -> list[tuple[str, str]]:
    """The filters as the workbook's first rows say them: names for codes and values, the
    complainant's numbers masked as the lists show them."""
    query, values, names = search.query, search.values, Names(session)
    assert query is not None
    shown = {
        "phone": mask_phone(query.phone) if query.phone else "",
        "id_card": mask_id_card(query.id_card) if query.id_card else "",
        "stage": STAGE_NAMES[query.stage] if query.stage else "",
        "channel": CHANNEL_NAMES[query.channel] if query.channel else "",
        "overdue": "" if query.overdue is None else ("超期" if query.overdue else "未超期"),
        "unassigned": "是" if query.unassigned else "否",
    }
    for code_field in ("handling_unit", "province", "school"):
        code = values.get(code_field, "")
        if code.isdigit():
            shown[code_field] = f"{names.unit(code)}（{code}）"
    return [(LABELS[name], shown.get(name) or value) for name, value in values.items()]
