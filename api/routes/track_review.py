"""POST /track/review: a complainant not satisfied with the answer asks for a review (复核) on
the public tracking page, with the tracking number and its query code (in the form, never in
an address), counted with /track and POST /api/track against guessing. The workflow decides
whether a review may be asked now (within the review period, once per answer)."""

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import HTMLResponse

from api.console.reasons import reason_of
from api.deps import ClockDep, SessionDep, SettingsDep, TemporalDep
from api.html import render
from api.ratelimit import rate_limited
from api.review_online import NO_REASON, REQUESTED, ask_review
from api.routes.pages import TRACK_TITLE
from api.tracking import NOT_FOUND, QUERY_CODE, used_up
from domain.ids import InvalidIdentifier, normalize_tracking_no
from store.intake import GuessesUsedUp

router = APIRouter(tags=["public"])


@router.post(
    "/track/review",
    # Counted with /track and POST /api/track: one limit on guessing query codes.
    dependencies=[Depends(rate_limited("public", "track", page=TRACK_TITLE))],
)
async def request_review(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    tracking_no: Annotated[str, Form(max_length=40)] = "",
    code: Annotated[str, Form(max_length=6)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    """Ask for a review of a closed complaint; the tracking page again with what became of it."""

    def again(status: int, problem: str, number: str = tracking_no[:40]) -> HTMLResponse:
        return render("track.html", status, title=TRACK_TITLE, tracking_no=number, problem=problem)

    try:
        number = normalize_tracking_no(tracking_no)
    except InvalidIdentifier as exc:
        return again(422, str(exc))
    if not re.fullmatch(QUERY_CODE, code):
        return again(422, "查询码无效：应为 6 位数字", number)
    if not reason.strip():
        return again(422, NO_REASON, number)
    now = clock()
    try:
        found = await ask_review(
            session,
            temporal,
            number=number,
            code=code,
            reason=reason,
            now=now,
            lookup_key=settings.lookup_key_bytes,
        )
    except GuessesUsedUp as exc:
        problem, seconds = used_up(exc, now)
        page = again(429, problem, number)
        page.headers["Retry-After"] = str(seconds)
        return page
    except HTTPException as exc:
        return again(exc.status_code, reason_of(exc), number)
    if not found:
        return again(404, NOT_FOUND, number)
    return render("track.html", title=TRACK_TITLE, tracking_no=number, notice=REQUESTED)
