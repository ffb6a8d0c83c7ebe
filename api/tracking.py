"""A complaint's progress as the public sees it (POST /api/track and the /track page): the
step and its dates, for the tracking number with its own query code; no names, no findings.
The code travels in the request body only, never in an address (which access logs keep)."""

import math
from datetime import datetime

from sqlmodel import Session

from api.schemas.public import Progress
from domain.process import STAGE_NAMES, Stage
from domain.records import Outcome
from domain.workdays import beijing_minute
from store.intake import GuessesUsedUp, find_by_query_code
from store.models import Case
from store.queries import estimated_dues
from store.sealing import Sealer

NOT_FOUND = "受理编号或查询码不正确"
USED_UP = "该受理编号的查询码输错次数过多，请于 {until} 后再试，或致电受理单位查询"
QUERY_CODE = r"^\d{6}$"
CODE_NOT_IN_ADDRESS = (
    "查询码不能放在网址中（会留在访问日志里）：请在查询页面的表单中输入，"
    "或以 POST /api/track 在请求体中提交 tracking_no 和 code"
)


def used_up(exc: GuessesUsedUp, now: datetime) -> tuple[str, int]:
    """What to tell the caller of a tracking number whose wrong codes are used up, and the
    seconds to wait."""
    seconds = max(1, math.ceil((exc.until - now).total_seconds()))
    return USED_UP.format(until=beijing_minute(exc.until)), seconds


OUTCOME_NAMES = {
    Outcome.CLOSED: "已办结，处理结果已告知投诉人",
    Outcome.REFERRED: "已告知处理责任单位的投诉电话",
    Outcome.WITHDRAWN: "投诉人已撤回投诉",
}


def progress(
    session: Session, number: str, code: str, now: datetime, sealer: Sealer, lookup_key: bytes
) -> Progress | None:
    """The progress of the complaint with this (normalised) tracking number, if the query code
    is its own; None otherwise (the wrong code counted). Once closed, how it ended and the
    public reply staff wrote for this page. Raises GuessesUsedUp."""
    intake = find_by_query_code(
        session=session, tracking_no=number, code=code, now=now, lookup_key=lookup_key
    )
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
        outcome=case.outcome,
        outcome_name=OUTCOME_NAMES.get(Outcome(case.outcome), ""),
        reply=str(sealer.open_column(case, "sealed_public_reply") or ""),
    )
