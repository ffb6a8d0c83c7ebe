"""Public tracking (进度查询): with the tracking number and query code given at registration,
anyone can see the step and the dates of a complaint; no names, no findings."""

import math
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import Field
from sqlalchemy import Engine
from sqlmodel import Session

from api.answers import Reply
from api.deps import ClockDep, EngineDep
from api.ratelimit import rate_limited
from domain.ids import InvalidIdentifier, normalize_tracking_no
from domain.process import STAGE_NAMES, Stage
from domain.workdays import beijing_minute
from store.intake import GuessesUsedUp, find_by_query_code
from store.models import Case
from store.queries import estimated_dues

router = APIRouter(prefix="/api/track", tags=["public"])
NOT_FOUND = "受理编号或查询码不正确"
USED_UP = "该受理编号的查询码输错次数过多，请于 {until} 后再试，或致电受理单位查询"
QUERY_CODE = r"^\d{6}$"


class Progress(Reply):
    tracking_no: str
    stage: str
    stage_name: str
    received_at: datetime
    updated_at: datetime
    due: datetime | None = Field(description="本环节办理期限")
    estimated: bool = Field(
        description="期限按预计的节假日安排推算（该年官方安排尚未发布，发布后自动更正）"
    )
    finished: bool


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
    engine: EngineDep,
    clock: ClockDep,
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
        found = progress(engine, number, code, now)
    except GuessesUsedUp as exc:
        message, seconds = used_up(exc, now)
        raise HTTPException(429, detail=message, headers={"Retry-After": str(seconds)}) from None
    if found is None:
        raise HTTPException(404, detail=NOT_FOUND)
    return found


def used_up(exc: GuessesUsedUp, now: datetime) -> tuple[str, int]:
    """What to tell the caller of a tracking number whose wrong codes are used up, and the
    seconds to wait."""
    seconds = max(1, math.ceil((exc.until - now).total_seconds()))
    return USED_UP.format(until=beijing_minute(exc.until)), seconds


def progress(engine: Engine, number: str, code: str, now: datetime) -> Progress | None:
    """The progress of the complaint with this (normalised) tracking number, if the query code
    is its own; None otherwise (the wrong code counted). Raises GuessesUsedUp."""
    with Session(engine) as session:
        intake = find_by_query_code(session=session, tracking_no=number, code=code, now=now)
        if intake is None:
            return None
        case = session.get(Case, intake.complaint_id)
        if case is None:  # registered; its first step is not written yet (or no worker runs)
            return Progress(
                tracking_no=number,
                stage=Stage.REGISTERED.value,
                stage_name=STAGE_NAMES[Stage.REGISTERED],
                received_at=intake.created_at,
                updated_at=intake.created_at,
                due=None,
                estimated=False,
                finished=False,
            )
        stage = Stage(case.stage)
        return Progress(
            tracking_no=number,
            stage=stage.value,
            stage_name=STAGE_NAMES[stage],
            received_at=case.received_at,
            updated_at=case.updated_at,
            due=case.due,
            estimated=case.id in estimated_dues(session=session, cases=[case]),
            finished=bool(case.outcome),
        )
