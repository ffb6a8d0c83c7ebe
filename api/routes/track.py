"""Public tracking (进度查询): with the tracking number and query code given at registration,
anyone can see the step and the dates of a complaint; no names, no findings."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from api.deps import ClockDep, SealerDep, SessionDep
from api.ratelimit import rate_limited
from api.schemas.public import Progress
from api.tracking import NOT_FOUND, QUERY_CODE, progress, used_up
from domain.ids import InvalidIdentifier, normalize_tracking_no
from store.intake import GuessesUsedUp

router = APIRouter(prefix="/api/track", tags=["public"])


@router.get(
    "/{tracking_no}",
    response_model=Progress,
    dependencies=[Depends(rate_limited("public", "track"))],
    responses={
        429: {
            "description": "请求过于频繁（按客户端地址限流），或该受理编号的查询码输错次数过多"
            "（不论来自哪个地址）；Retry-After 给出等待秒数"
        }
    },
)
def track(
    tracking_no: Annotated[str, Path(max_length=40)],
    code: Annotated[str, Query(pattern=QUERY_CODE, description="查询码 given at registration")],
    session: SessionDep,
    clock: ClockDep,
    sealer: SealerDep,
) -> Progress:
    """The step and dates of a complaint; 404 for a wrong tracking number or query code alike.
    A complaint just registered is 受理 (registered) until its handling is under way. After
    too many wrong query codes for one tracking number, 429 until the day's window ends."""
    try:
        number = normalize_tracking_no(tracking_no)
    except InvalidIdentifier as exc:
        raise HTTPException(
            422, detail=[{"loc": ["path", "tracking_no"], "msg": str(exc), "type": "value_error"}]
        ) from None
    now = clock()
    try:
        found = progress(session, number, code, now, sealer)
    except GuessesUsedUp as exc:
        message, seconds = used_up(exc, now)
        raise HTTPException(429, detail=message, headers={"Retry-After": str(seconds)}) from None
    if found is None:
        raise HTTPException(404, detail=NOT_FOUND)
    return found
