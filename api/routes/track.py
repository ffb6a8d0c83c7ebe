"""Public tracking (进度查询): with the tracking number and query code given at registration,
anyone can see the step and the dates of a complaint; no names, no findings. The code is
posted in the body: an address with it would sit in access logs and browser histories."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path

from api.deps import ClockDep, SealerDep, SessionDep, SettingsDep, TemporalDep
from api.ratelimit import rate_limited
from api.review_online import NO_REASON, RECEIVED, ask_review
from api.schemas.public import Progress, ReviewQuery, ReviewReceived, TrackQuery
from api.tracking import CODE_NOT_IN_ADDRESS, NOT_FOUND, progress, used_up
from domain.ids import InvalidIdentifier, normalize_tracking_no
from store.intake import GuessesUsedUp

router = APIRouter(prefix="/api/track", tags=["public"])


@router.post(
    "",
    response_model=Progress,
    dependencies=[Depends(rate_limited("public", "track"))],
    responses={
        404: {"description": "受理编号或查询码不正确（两者不加区分）"},
        429: {
            "description": "请求过于频繁（按客户端地址限流），或该受理编号的查询码输错次数过多"
            "（不论来自哪个地址，也不论该编号是否存在）；Retry-After 给出等待秒数"
        },
    },
)
def track(
    body: TrackQuery,
    session: SessionDep,
    clock: ClockDep,
    sealer: SealerDep,
    settings: SettingsDep,
) -> Progress:
    """The step and dates of a complaint; 404 for a wrong tracking number or query code alike.
    A complaint just registered is 受理 (registered) until its handling is under way. After
    too many wrong query codes for one tracking number, 429 until the day's window ends, for
    a number no complaint has exactly as for one that a complaint has."""
    number = _number(body.tracking_no)
    now = clock()
    try:
        found = progress(session, number, body.code, now, sealer, settings.lookup_key_bytes)
    except GuessesUsedUp as exc:
        message, seconds = used_up(exc, now)
        raise HTTPException(429, detail=message, headers={"Retry-After": str(seconds)}) from None
    if found is None:
        raise HTTPException(404, detail=NOT_FOUND)
    return found


@router.post(
    "/review",
    status_code=202,
    response_model=ReviewReceived,
    # Counted with POST /api/track, /track and /track/review: one limit on guessing codes.
    dependencies=[Depends(rate_limited("public", "track"))],
    responses={
        404: {"description": "受理编号或查询码不正确（两者不加区分）"},
        409: {"description": "现在不能申请复核：尚未办结、已过复核申请期限或已申请过"},
        429: {"description": "同 POST /api/track：请求过于频繁，或查询码输错次数过多"},
    },
)
async def request_review(
    body: ReviewQuery,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    temporal: TemporalDep,
) -> ReviewReceived:
    """A review (复核) of a closed complaint asked by the complainant, as on the tracking page:
    within the review period after informing, once per answer (409 else); the unit above the
    handling unit reviews it. 404 for a wrong number or code alike, counted with the
    look-ups' wrong codes (429 once used up)."""
    number = _number(body.tracking_no)
    if not body.reason.strip():
        raise HTTPException(422, detail=[_invalid("reason", NO_REASON)])
    now = clock()
    try:
        found = await ask_review(
            session,
            temporal,
            number=number,
            code=body.code,
            reason=body.reason,
            now=now,
            lookup_key=settings.lookup_key_bytes,
        )
    except GuessesUsedUp as exc:
        message, seconds = used_up(exc, now)
        raise HTTPException(429, detail=message, headers={"Retry-After": str(seconds)}) from None
    if not found:
        raise HTTPException(404, detail=NOT_FOUND)
    return ReviewReceived(tracking_no=number, message=RECEIVED + "。")


def _number(tracking_no: str) -> str:
    """The normalised tracking number; 422 on `tracking_no` when it is not one."""
    try:
        return normalize_tracking_no(tracking_no)
    except InvalidIdentifier as exc:
        raise HTTPException(422, detail=[_invalid("tracking_no", str(exc))]) from None


def _invalid(field: str, message: str) -> dict[str, object]:
    return {"loc": ["body", field], "msg": message, "type": "value_error"}


@router.get(
    "/{tracking_no}",
    status_code=410,
    responses={410: {"description": "查询码不能放在网址中：改用 POST /api/track"}},
)
def track_by_address(tracking_no: Annotated[str, Path(max_length=40)]) -> None:
    """Gone: the query code no longer travels in the address. Nothing is looked up or counted;
    use `POST /api/track`."""
    raise HTTPException(410, detail=CODE_NOT_IN_ADDRESS)
