"""Public tracking (进度查询): with the tracking number and query code given at registration,
anyone can see the step and the dates of a complaint; no names, no findings."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import Field
from sqlalchemy import Engine
from sqlmodel import Session

from api.answers import Reply
from api.deps import EngineDep
from api.ratelimit import TOO_MANY_RESPONSE, rate_limited
from domain.ids import InvalidIdentifier, normalize_tracking_no
from domain.process import STAGE_NAMES, Stage
from store.intake import find_by_query_code
from store.models import Case
from store.queries import estimated_dues

router = APIRouter(prefix="/api/track", tags=["public"])
NOT_FOUND = "受理编号或查询码不正确"
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
    responses=TOO_MANY_RESPONSE,
)
def track(
    tracking_no: Annotated[str, Path(max_length=40)],
    code: Annotated[str, Query(pattern=QUERY_CODE, description="查询码 given at registration")],
    engine: EngineDep,
) -> Progress:
    """The step and dates of a complaint; 404 for a wrong tracking number or query code alike.
    A complaint just registered is 受理 (registered) until its handling is under way."""
    try:
        number = normalize_tracking_no(tracking_no)
    except InvalidIdentifier as exc:
        raise HTTPException(
            422, detail=[{"loc": ["path", "tracking_no"], "msg": str(exc), "type": "value_error"}]
        ) from None
    found = progress(engine, number, code)
    if found is None:
        raise HTTPException(404, detail=NOT_FOUND)
    return found


def progress(engine: Engine, number: str, code: str) -> Progress | None:
    """The progress of the complaint with this (normalised) tracking number, if the query code
    is its own; None otherwise."""
    with Session(engine) as session:
        intake = find_by_query_code(session=session, tracking_no=number, code=code)
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
