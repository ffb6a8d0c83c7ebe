"""After informing: the follow-up call (回访) and the review (复核) as service functions, shared
by the JSON routes, the console and the public tracking page (docs/process.md, "After
informing"). The workflow checks the acting unit again; these refuse first, so a unit that
may not act learns nothing from the refusal.
"""

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from temporalio.client import Client

from api import workflow_calls
from api.aftercare_rules import (
    follow_up_refusal,
    review_refusal,
    review_request_refusal,
    reviewing_unit,
)
from api.answers import in_beijing_time
from api.case_service import CaseCall, acting_state
from api.security import Staff, check_role
from domain.orgtree import OrgTree
from domain.process import Channel, Satisfaction
from domain.roles import CASE_ACTORS, CASE_STAFF
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import CaseView, DecideReview, RecordFollowUp, RequestReview

Refusal = Callable[[Staff, CaseView, str], HTTPException | None]


async def _update(
    call: CaseCall, tree: OrgTree | None, refusal: Refusal, method: Any, action: Any
) -> CaseView:
    view = await acting_state(call)
    refused = refusal(call.staff, view, reviewing_unit(tree, view) if tree else "")
    if refused is not None:
        raise refused
    client = await call.temporal.client()
    answer: CaseView = await workflow_calls.update(client, call.complaint_id, method, action)
    return in_beijing_time(answer)


async def record_follow_up(call: CaseCall, *, result: Satisfaction, note: str = "") -> CaseView:
    """The handling unit's follow-up call and what it found."""
    check_role(call.staff, CASE_ACTORS)
    action = RecordFollowUp(
        actor_unit=call.staff.unit_code, actor=call.staff.username, result=result, note=note
    )
    return await _update(call, None, follow_up_refusal, ComplaintWorkflow.record_follow_up, action)


async def request_review(
    call: CaseCall, *, tree: OrgTree, channel: Channel, reason: str
) -> CaseView:
    """A review the complainant asked by phone, letter, visit or e-mail, registered by staff."""
    check_role(call.staff, CASE_STAFF)
    request = RequestReview(
        channel=channel, reason=reason, actor_unit=call.staff.unit_code, actor=call.staff.username
    )
    method = ComplaintWorkflow.request_review
    return await _update(call, tree, review_request_refusal, method, request)


async def decide_review(call: CaseCall, *, tree: OrgTree, uphold: bool, reason: str) -> CaseView:
    """The reviewing unit upholds the answer or reopens the case with instructions."""
    check_role(call.staff, CASE_ACTORS)
    action = DecideReview(
        actor_unit=call.staff.unit_code, actor=call.staff.username, uphold=uphold, reason=reason
    )
    return await _update(call, tree, review_refusal, ComplaintWorkflow.decide_review, action)


async def request_review_online(client: Client, complaint_id: str, *, reason: str) -> CaseView:
    """A review asked on the public tracking page (the caller proved the query code)."""
    request = RequestReview(channel=Channel.WEB, reason=reason)
    method = ComplaintWorkflow.request_review
    answer: CaseView = await workflow_calls.update(client, complaint_id, method, request)
    return answer
