"""GET /directory, GET /faq and /track: the public directory (投诉电话和邮箱), FAQ
(常见问题解答) and progress look-up (办理进度查询, a form posted to itself, so that the query
code never sits in an address) as plain, accessible HTML pages in Chinese, no login and no
JavaScript needed."""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.deps import ClockDep, SealerDep, SessionDep, SettingsDep
from api.faq_scope import PROVINCE, SEARCH, UNIT, find_published
from api.html import local_date, local_minute, refusal, render, tel_href
from api.public_filters import LEVEL_NAMES, SEARCH_MAX, FilterError, check_code, check_level
from api.ratelimit import rate_limited
from api.tracking import NOT_FOUND, QUERY_CODE, progress, used_up
from domain.ids import InvalidIdentifier, normalize_tracking_no
from store.intake import GuessesUsedUp
from store.models import Unit
from store.org import directory

router = APIRouter(tags=["pages"], default_response_class=HTMLResponse)

DIRECTORY_TITLE = "各级教育行政部门投诉电话和邮箱"
FAQ_TITLE = "常见问题解答"
TRACK_TITLE = "投诉办理进度查询"
CODE_NOT_IN_ADDRESS_PAGE = "为保护查询码，查询码不再放在网址中：请在下方输入查询码后点击“查询”"
_PAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}},
    404: {"content": {"text/html": {}}, "description": "受理编号或查询码不正确（查询页）"},
    422: {"content": {"text/html": {}}},
    429: {
        "content": {"text/html": {}},
        "description": "请求过于频繁，或该受理编号的查询码输错次数过多（页面）；"
        "Retry-After 给出等待秒数",
    },
}


@dataclass(frozen=True)
class DirectoryRow:
    code: str
    name: str
    level: str
    phone: str
    tel: str
    email: str
    confirmed: str | None


def _row(unit: Unit) -> DirectoryRow:
    return DirectoryRow(
        code=unit.code,
        name=unit.name,
        level=unit.level,
        phone=unit.phone,
        tel=tel_href(unit.phone),
        email=unit.email,
        confirmed=local_date(unit.contact_confirmed_at),
    )


def _directory_rows(session: Session, province: str | None, level: str | None) -> list[Unit]:
    """A province's units; nationally only the Ministry and provinces unless a level is asked."""
    listing = [unit for unit, _ in directory(session=session, level=level, province=province)]
    if province is None and level is None:
        listing = [unit for unit in listing if unit.level in ("national", "provincial")]
    return listing


@router.get(
    "/directory",
    dependencies=[Depends(rate_limited("public", "directory-page", page=DIRECTORY_TITLE))],
    responses=_PAGE,
)
def directory_page(
    session: SessionDep,
    province: str | None = Query(None, description="省级单位代码：列出该省各级单位"),
    level: str | None = Query(None, description="只列出这一级别的单位"),
) -> HTMLResponse:
    """Every unit's complaint phone and e-mail with the date last confirmed, as a table."""
    province, level = province or None, level or None  # an empty form field means "all"
    try:
        check_code("province", province, "省级单位代码")
        check_level(level)
    except FilterError as exc:
        return refusal(DIRECTORY_TITLE, exc.field, exc.message)
    rows = [_row(unit) for unit in _directory_rows(session, province, level)]
    caption = f"{province} 辖区各级教育行政部门" if province else "教育部和各省级教育行政部门"
    if level is not None:
        caption += f"（{LEVEL_NAMES[level]}）"
    return render(
        "directory.html",
        title=DIRECTORY_TITLE,
        caption=caption,
        rows=rows,
        province=province,
        level=level,
        level_names=LEVEL_NAMES,
    )


@router.get(
    "/faq",
    dependencies=[Depends(rate_limited("public", "faq-page", page=FAQ_TITLE))],
    responses=_PAGE,
)
def faq_page(
    session: SessionDep,
    province: str | None = PROVINCE,
    unit: str | None = UNIT,
    q: str | None = SEARCH,
) -> HTMLResponse:
    """Published questions and answers with a search form (GET), of a unit or a province."""
    province, unit = province or None, unit or None
    try:
        found = find_published(session, province=province, unit=unit, q=q)
    except FilterError as exc:
        return refusal(FAQ_TITLE, exc.field, exc.message)
    entries = [
        {
            "id": faq.id,
            "question": faq.question,
            "answer": faq.answer,
            "unit_name": name,
            "updated": local_date(faq.updated_at),
        }
        for faq, name in found
    ]
    return render(
        "faq.html",
        title=FAQ_TITLE,
        entries=entries,
        q=q,
        province=province,
        unit=unit,
        search_max=SEARCH_MAX,
    )


@router.get(
    "/track",
    dependencies=[Depends(rate_limited("public", "track-form", page=TRACK_TITLE))],
    responses=_PAGE,
)
def track_form(
    tracking_no: str | None = Query(None, description="受理编号（填入表单）"),
    code: str | None = Query(None, description="不再接受：查询码只能以表单提交"),
) -> HTMLResponse:
    """The form (POST /track). An old address with the query code in it looks nothing up:
    the form again, the number filled in, saying why."""
    if code is None:
        return render("track.html", title=TRACK_TITLE, tracking_no=(tracking_no or "")[:40])
    return render(
        "track.html",
        title=TRACK_TITLE,
        tracking_no=(tracking_no or "")[:40],
        problem=CODE_NOT_IN_ADDRESS_PAGE,
    )


@router.post(
    "/track",
    # Counted with POST /api/track: the two together are one limit on guessing query codes.
    dependencies=[Depends(rate_limited("public", "track", page=TRACK_TITLE))],
    responses=_PAGE,
)
def track_page(
    session: SessionDep,
    clock: ClockDep,
    sealer: SealerDep,
    settings: SettingsDep,
    tracking_no: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """With a tracking number and its query code, the step and dates of the complaint (no
    names, no findings), as POST /api/track gives them; the form again above them."""
    try:
        number = normalize_tracking_no(tracking_no)
    except InvalidIdentifier as exc:  # the form again, saying which field is wrong and why
        return render(
            "track.html", 422, title=TRACK_TITLE, tracking_no=tracking_no[:40], problem=exc
        )
    if not re.fullmatch(QUERY_CODE, code):
        problem = "查询码无效：应为 6 位数字"
        return render("track.html", 422, title=TRACK_TITLE, tracking_no=number, problem=problem)
    now = clock()
    try:
        found = progress(session, number, code, now, sealer, settings.lookup_key_bytes)
    except GuessesUsedUp as exc:
        problem, seconds = used_up(exc, now)
        page = render("track.html", 429, title=TRACK_TITLE, tracking_no=number, problem=problem)
        page.headers["Retry-After"] = str(seconds)
        return page
    if found is None:
        return render("track.html", 404, title=TRACK_TITLE, tracking_no=number, problem=NOT_FOUND)
    shown = {
        "tracking_no": found.tracking_no,
        "stage_name": found.stage_name,
        "finished": found.finished,
        "received": local_minute(found.received_at),
        "updated": local_minute(found.updated_at),
        "due": local_minute(found.due),
        "estimated": found.estimated,
        "outcome_name": found.outcome_name,
        "reply": found.reply,
    }
    # Closed within the review period: the form to ask for a review (POST /track/review),
    # which the workflow refuses once a review was asked or the period is over.
    window = timedelta(days=settings.deadline_policy.review_window)
    review = found.outcome == "closed" and now < found.updated_at + window
    return render(
        "track.html",
        title=TRACK_TITLE,
        tracking_no=number,
        progress=shown,
        review_code=code if review else "",
        review_days=settings.deadline_policy.review_window,
    )
