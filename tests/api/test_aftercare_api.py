"""The follow-up (回访) and the review (复核) of a closed case over HTTP: who may do what, what
is refused and why, and a reopened case back at the handling unit. The real app and worker,
both stores; deadlines are the workflow tests' (tests/workflows/test_aftercare_workflow.py)."""

from __future__ import annotations

from typing import Any

from tests.api.test_case_record import Case
from tests.support.demo import CHANG_AN, PROVINCE
from tests.support.http_support import System, register, visible


async def closed_case(system: System) -> Case:
    """A case of 石家庄 answered and closed: nothing to be done after one verification."""
    case = Case(system, await register(system))
    await visible(system, "sjz_handler", case.id)
    await case.act("sjz_handler", "/verification", {"addressees": [CHANG_AN]})
    await visible(system, "ca_handler", case.id)
    await case.act("ca_handler", "/slips/V1/return", {"response": "学籍登记无误"})
    await case.at("opinion")
    await case.act("sjz_handler", "/opinion", {"opinion": "经核查无需处理"})
    await case.at("informing")
    told = {"channel": "phone", "message": "已电话告知", "public_reply": "经核查，学籍登记无误"}
    await case.act("sjz_handler", "/informing", told)
    await case.entry("follow_up_due")  # the follow-up clock runs
    return case


async def test_follow_up_then_review_reopens_the_case(system: System) -> None:
    case = await closed_case(system)
    result = {"result": "not_satisfied", "note": "家长认为处理太慢"}
    refused = await case.act("ca_handler", "/follow-up", result, status=403)
    assert "130100" in refused["detail"] or "石家庄" in refused["detail"]
    bad = await case.act("sjz_handler", "/follow-up", {"result": "happy"}, status=422)
    assert "result" in str(bad["detail"])
    view = await case.act("sjz_handler", "/follow-up", result)
    assert [(f["result"], f["note"]) for f in view["follow_ups"]] == [
        ("not_satisfied", "家长认为处理太慢")
    ]
    await case.act("sjz_handler", "/follow-up", result, status=409)  # once per answer

    # A county below neither handles nor reviews the case: it may not register the request.
    letter = {"channel": "letter", "reason": "来信申请复核：学籍仍有误"}
    await case.act("ca_handler", "/review-request", letter, status=403)
    web = await case.act("sjz_clerk", "/review-request", {**letter, "channel": "web"}, status=422)
    assert "channel" in str(web["detail"])
    view = await case.act("sjz_clerk", "/review-request", letter)
    assert view["reviewing_unit"] == PROVINCE and view["review_until"] is None
    [review] = view["reviews"]
    assert (review["channel"], review["requested_by"]) == ("letter", "sjz_clerk")
    await case.act("sjz_clerk", "/review-request", letter, status=409)  # once per answer

    decision = {"uphold": False, "reason": "请重新核查两校的学籍登记"}
    await case.act("sjz_handler", "/review", decision, status=403)  # not its own review
    await case.act("hb_clerk", "/review", decision, status=403)  # a clerk does not decide
    empty = await case.act("hb_leader", "/review", {"uphold": True, "reason": ""}, status=422)
    assert "reason" in str(empty["detail"])
    view = await case.act("hb_leader", "/review", decision)
    assert (view["stage"], view["outcome"], view["reopened"]) == ("opinion", "", 1)

    detail = await case.at("opinion")
    notes = {(e["kind"], e["note"]) for e in detail["timeline"]}
    assert {
        ("followed_up", "家长认为处理太慢"),
        ("review_requested", "来信申请复核：学籍仍有误"),
        ("reopened", "请重新核查两校的学籍登记"),
    } <= notes
    steps = {s["key"]: s["status"] for s in detail["steps"]}
    assert (steps["follow_up-1"], steps["review-1"], steps["opinion-2"]) == ("met", "met", "open")


async def test_nothing_after_informing_before_the_case_is_closed(system: System) -> None:
    case = Case(system, await register(system))
    await visible(system, "sjz_handler", case.id)
    refused: Any = await case.act("sjz_handler", "/follow-up", {"result": "satisfied"}, status=409)
    assert "尚未办结" in refused["detail"]
    await case.act("hb_leader", "/review", {"uphold": True, "reason": "维持"}, status=409)


async def test_the_complainant_asks_for_a_review_on_the_tracking_page(system: System) -> None:
    case = await closed_case(system)
    fields = {"tracking_no": case.tracking_no, "code": case.query_code}
    page = await system.http.post("/track", data=fields)
    assert page.status_code == 200 and 'action="/track/review"' in page.text

    async def ask(status: int, **changes: str) -> str:
        answer = await system.http.post("/track/review", data={**fields, **changes})
        assert answer.status_code == status, answer.text
        return answer.text

    wrong = "000000" if case.query_code != "000000" else "111111"
    assert "受理编号或查询码不正确" in await ask(404, code=wrong, reason="不满意")
    assert "请写明您对处理结果不满意的原因" in await ask(422, reason=" ")
    assert "已收到您的复核申请" in await ask(200, reason="学籍仍未更正")
    assert "已申请过复核" in await ask(409, reason="再次申请")
    entry = await case.entry("review_requested")
    assert (entry["note"], entry["actor"]) == ("学籍仍未更正", "")
    # The unit above sees the request and decides it: upheld, the case stays closed.
    view = await case.act("hb_leader", "/review", {"uphold": True, "reason": "处理结果符合规定"})
    assert (view["stage"], [r["channel"] for r in view["reviews"]]) == ("closed", ["web"])


async def test_the_complainant_asks_for_a_review_through_the_json_api(system: System) -> None:
    case = await closed_case(system)
    fields = {"tracking_no": case.tracking_no, "code": case.query_code, "reason": "学籍仍未更正"}

    async def ask(status: int, **changes: str) -> Any:
        answer = await system.http.post("/api/track/review", json={**fields, **changes})
        assert answer.status_code == status, answer.text
        return answer.json()

    wrong = "000000" if case.query_code != "000000" else "111111"
    assert (await ask(404, code=wrong))["detail"] == "受理编号或查询码不正确"
    assert "reason" in str(await ask(422, reason=" "))
    assert "tracking_no" in str(await ask(422, tracking_no="不是编号"))
    received = await ask(202)
    assert received["tracking_no"] == case.tracking_no
    assert received["message"].startswith("已收到您的复核申请")
    assert "已申请过复核" in (await ask(409, reason="再次申请"))["detail"]
    entry = await case.entry("review_requested")
    assert (entry["note"], entry["actor"]) == ("学籍仍未更正", "")
