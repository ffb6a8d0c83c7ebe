"""A review (复核) asked by the complainant online, with the tracking number and its query code:
the tracking page's form (POST /track/review) and the JSON API (POST /api/track/review) share
this. The code is checked and counted like a look-up (one count of wrong codes per number);
the workflow decides whether a review may be asked now (within the review period, once per
answer) and refuses with 409 otherwise."""

from datetime import datetime

from sqlmodel import Session

from api import aftercare_service
from api.deps import store_call
from api.temporal_link import TemporalLink
from store.intake import find_by_query_code

NO_REASON = "申请理由：请写明您对处理结果不满意的原因"
# The result is told to the complainant the case was registered for (a repeat's complainant
# holding the same number and code is not: docs/process.md, "Repeat complaints").
RECEIVED = (
    "已收到您的复核申请。上级教育行政部门将在规定的工作日内复核，"
    "复核结果将按登记时留下的联系方式告知投诉人"
)
REQUESTED = RECEIVED + "，也可在本页查询办理进度。"  # the tracking page's words


async def ask_review(
    session: Session,
    temporal: TemporalLink,
    *,
    number: str,
    code: str,
    reason: str,
    now: datetime,
    lookup_key: bytes,
) -> bool:
    """Ask for a review of the complaint with this (normalised) tracking number; False when the
    number or code is wrong (the wrong code counted). Raises GuessesUsedUp, and HTTPException
    with the workflow's refusal (409 not now) or Temporal out of reach."""
    intake = await store_call(
        session,
        find_by_query_code,
        session=session,
        tracking_no=number,
        code=code,
        now=now,
        lookup_key=lookup_key,
    )
    if intake is None:
        return False
    client = await temporal.client()
    await aftercare_service.request_review_online(client, intake.complaint_id, reason=reason)
    return True
