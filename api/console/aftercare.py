"""The case page's forms after informing: the follow-up call (回访), a review registered for the
complainant (复核申请), the review's decision (复核). The same service functions as the JSON
routes (api/aftercare_service.py); the page shows a form only to whom actions_of allows it."""

from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from api import aftercare_service
from api.case_service import CaseCall
from api.console.auth import PATH
from api.console.case_page import DeskDep, Text
from api.console.case_page import _act as act
from api.schemas.aftercare import FollowUpIn, ReviewIn, ReviewRequestIn

router = APIRouter(prefix=f"{PATH}/cases", tags=["console"], default_response_class=HTMLResponse)

Choice = Annotated[str, Form(max_length=32)]


@router.post("/{complaint_id}/follow-up")
async def record_follow_up(desk: DeskDep, result: Choice = "", note: Text = "") -> Response:
    values = {"result": result, "note": note}

    def record(call: CaseCall) -> Awaitable[Any]:
        checked = FollowUpIn.model_validate(values)
        return aftercare_service.record_follow_up(call, result=checked.result, note=note)

    return await act(desk, "follow-up", values, record, FollowUpIn)


@router.post("/{complaint_id}/review-request")
async def request_review(desk: DeskDep, channel: Choice = "", reason: Text = "") -> Response:
    values = {"channel": channel, "reason": reason}

    def register(call: CaseCall) -> Awaitable[Any]:
        checked = ReviewRequestIn.model_validate(values)
        return aftercare_service.request_review(
            call, tree=desk.tree, channel=checked.channel, reason=reason
        )

    return await act(desk, "review-request", values, register, ReviewRequestIn)


@router.post("/{complaint_id}/review")
async def decide_review(desk: DeskDep, decision: Choice = "", reason: Text = "") -> Response:
    values = {"uphold": {"uphold": True, "reopen": False}.get(decision), "reason": reason}

    def decide(call: CaseCall) -> Awaitable[Any]:
        checked = ReviewIn.model_validate(values)
        return aftercare_service.decide_review(
            call, tree=desk.tree, uphold=checked.uphold, reason=reason
        )

    return await act(desk, "review", values, decide, ReviewIn)
