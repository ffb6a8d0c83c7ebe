"""Nothing written is lost: every text an actor writes comes back in the case's timeline (with
the unit's name and the acting person), the person in charge (承办人) of a case and of a slip,
each person's work (待办), and how the complainant was told (告知). Over HTTP, the real app
and worker, both stores."""

from __future__ import annotations

import re
from typing import Any

from tests.support.demo import CHANG_AN, CITY
from tests.support.http_support import COMPLAINT, System, register, visible
from tests.support.waiting import eventually


class Case:
    def __init__(self, system: System, created: dict[str, Any]) -> None:
        self.system, self.id = system, created["id"]
        self.path = f"/api/complaints/{self.id}"
        self.tracking_no, self.query_code = created["tracking_no"], created["query_code"]

    async def act(self, username: str, path: str, body: dict[str, Any], status: int = 200) -> Any:
        answer = await self.system.post(username, self.path + path, body)
        assert answer.status_code == status, answer.text
        return answer.json() if answer.content else None

    async def detail(self, username: str = "sjz_handler") -> Any:
        answer = await self.system.get(username, self.path)
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def at(self, stage: str) -> Any:
        async def reached() -> bool:
            return bool((await self.detail())["stage"] == stage)

        await eventually(reached, failure=f"{self.id} never reached {stage}")
        return await self.detail()

    async def entry(self, kind: str) -> Any:
        """The timeline's (last) entry of `kind`, once written."""

        async def written() -> bool:
            return any(e["kind"] == kind for e in (await self.detail())["timeline"])

        await eventually(written, failure=f"no {kind} entry in {self.id}")
        return [e for e in (await self.detail())["timeline"] if e["kind"] == kind][-1]


def refused_on(answer: Any, field: str) -> str:
    """The reason of a 422 naming `field`."""
    [problem] = answer["detail"] if isinstance(answer["detail"], list) else [answer]
    assert field in str(problem), problem
    return str(problem)


async def test_every_text_written_comes_back_with_unit_names_and_persons(system: System) -> None:
    case = Case(system, await register(system))
    await visible(system, "sjz_handler", case.id)

    view = await case.act("sjz_leader", "/assignee", {"assignee": "sjz_handler"})
    assert view["assignee"] == "sjz_handler"
    await case.act(
        "sjz_handler",
        "/verification",
        {"addressees": [CHANG_AN], "instructions": "请核查长安区的学籍登记"},
    )
    await visible(system, "ca_handler", case.id)
    await case.act("ca_handler", "/slips/V1/assignee", {"assignee": "ca_handler"}, status=204)
    await case.act(
        "sjz_handler",
        "/dispute",
        {"proposed_unit": CHANG_AN, "reason": "学校在长安区，宜由区县处理"},
        202,
    )
    await case.at("disputed")
    await case.act(
        "hb_leader", "/ruling", {"handling_unit": CITY, "reason": "涉及两区，由市统筹"}, 202
    )
    await case.at("verification")
    await case.act("ca_handler", "/slips/V1/return", {"response": "长安区已核查，确有重复登记"})
    await case.at("opinion")
    await case.act("sjz_handler", "/opinion", {"opinion": "经核查已自行纠正，无需再办"})
    await case.at("informing")

    not_reached = {"channel": "phone", "reached": False, "message": "两次拨打无人接听"}
    view = await case.act("sjz_handler", "/informing", not_reached)
    assert view["stage"] == "informing"  # nobody told yet: still open, the attempt recorded
    naming = {"channel": "phone", "message": "已电话告知", "public_reply": "张小雨的学籍已更正"}
    refused = await case.act("sjz_handler", "/informing", naming, status=422)
    assert "姓名" in refused_on(refused, "public_reply")
    told = {
        "channel": "phone",
        "message": "已电话告知张晓明：重复学籍已注销",
        "public_reply": "重复学籍已注销",
    }
    view = await case.act("sjz_handler", "/informing", told)
    assert (view["stage"], view["outcome"]) == ("closed", "closed")

    detail = await case.at("closed")
    timeline = detail["timeline"]
    written = {(e["kind"], e["actor_name"], e["note"]) for e in timeline}
    assert {
        ("assignee", "王芳（sjz_leader）", ""),
        ("verification", "李明（sjz_handler）", "请核查长安区的学籍登记"),
        ("slip_assignee", "赵强（ca_handler）", ""),
        ("dispute_raised", "李明（sjz_handler）", "学校在长安区，宜由区县处理"),
        ("dispute_ruled", "hb_leader", "涉及两区，由市统筹"),
        ("slip_answered", "赵强（ca_handler）", ""),
        ("nothing_to_do", "李明（sjz_handler）", "经核查已自行纠正，无需再办"),
        ("inform_attempt", "李明（sjz_handler）", "两次拨打无人接听"),
        ("closed", "李明（sjz_handler）", "已电话告知张晓明：重复学籍已注销"),
    } <= written
    closed = [e for e in timeline if e["kind"] == "closed"][-1]
    assert closed["text"] == "石家庄市教育局 已通过电话告知投诉人处理结果，办结"
    assert closed["unit_name"] == "石家庄市教育局"
    # Units by name everywhere in the timeline, never by code.
    assert not [e["text"] for e in timeline if re.search(r"(?<!\d)13\d{4}(?!\d)", e["text"])]
    ruled = [e for e in timeline if e["kind"] == "dispute_ruled"][-1]
    assert (ruled["unit"], ruled["text"]) == ("130000", "河北省教育厅 裁定由 石家庄市教育局 处理")

    slip = (await system.get("ca_handler", f"/api/slips/{case.id}/V1")).json()
    assert (slip["assignee"], slip["returned_by"]) == ("ca_handler", "ca_handler")
    assert slip["response"] == "长安区已核查，确有重复登记"

    tracked = await system.http.post(
        "/api/track", json={"tracking_no": case.tracking_no, "code": case.query_code}
    )
    assert (tracked.json()["outcome"], tracked.json()["reply"]) == ("closed", "重复学籍已注销")
    assert "张" not in tracked.text


async def test_confirmation_rework_and_withdrawal_keep_what_was_written(system: System) -> None:
    case = Case(system, await register(system))
    await visible(system, "sjz_handler", case.id)
    await case.act("sjz_handler", "/verification", {"addressees": [CHANG_AN]})
    await visible(system, "ca_handler", case.id)
    await case.act("ca_handler", "/slips/V1/return", {"response": "已核查"})
    await case.at("opinion")
    await case.act(
        "sjz_handler", "/opinion", {"opinion": "注销重复学籍", "executing_units": [CHANG_AN]}
    )
    await case.act("ca_handler", "/slips/S1/return", {"response": "已注销"})
    await case.at("confirmation")
    await case.act(
        "sjz_handler", "/rework", {"executing_units": [CHANG_AN], "instructions": "请附注销凭证"}
    )
    await case.act("ca_handler", "/slips/S2/return", {"response": "凭证已附"})
    await case.at("confirmation")
    await case.act("sjz_handler", "/confirmation", {"conclusion": "凭证齐全，属实"})
    await case.at("informing")
    # Withdrawal: another unit that sees the case is refused; the handling unit records it.
    refused = await case.act("ca_handler", "/withdrawal", {"reason": "家长来电撤回"}, status=403)
    assert "撤回" in refused["detail"]
    await case.act("sjz_handler", "/withdrawal", {"reason": "家长来电称问题已解决，撤回投诉"}, 202)
    detail = await case.at("withdrawn")

    written = {(e["kind"], e["actor"], e["note"]) for e in detail["timeline"]}
    assert {
        ("execution", "sjz_handler", "注销重复学籍"),
        ("execution", "sjz_handler", "请附注销凭证"),
        ("confirmed", "sjz_handler", "凭证齐全，属实"),
        ("withdrawn", "sjz_handler", "家长来电称问题已解决，撤回投诉"),
    } <= written
    withdrawn = await case.entry("withdrawn")
    assert withdrawn["unit_name"] == "石家庄市教育局"
    tracked = await system.http.post(
        "/api/track", json={"tracking_no": case.tracking_no, "code": case.query_code}
    )
    assert (tracked.json()["outcome_name"], tracked.json()["reply"]) == ("投诉人已撤回投诉", "")


async def test_informing_must_reach_the_complainant_by_a_channel_they_gave(system: System) -> None:
    phone_only = {**COMPLAINT, "complainant": {"name": "张晓明", "phone": "138 1234 5678"}}
    case = Case(system, await register(system, phone_only))
    await visible(system, "sjz_handler", case.id)
    await case.act("sjz_handler", "/verification", {"addressees": [CHANG_AN]})
    await visible(system, "ca_handler", case.id)
    await case.act("ca_handler", "/slips/V1/return", {"response": "无此问题"})
    await case.at("opinion")
    await case.act("sjz_handler", "/opinion", {"opinion": "无需处理"})
    await case.at("informing")

    by_mail = {"channel": "email", "message": "经核查无此问题", "public_reply": "经核查无此问题"}
    refused = await case.act("sjz_handler", "/informing", by_mail, status=422)
    assert refused["detail"] == "channel：投诉人未留电子邮箱，不能以电子邮件告知"
    unreached_letter = {**by_mail, "channel": "letter", "reached": False}
    refused = await case.act("sjz_handler", "/informing", unreached_letter, status=422)
    assert refused["detail"].startswith("reached：")
    no_reply = {"channel": "sms", "message": "经核查无此问题"}
    refused_on(await case.act("sjz_handler", "/informing", no_reply, status=422), "public_reply")
    number = {"channel": "sms", "message": "经核查无此问题", "public_reply": "已回复 13812345678"}
    refused_on(await case.act("sjz_handler", "/informing", number, status=422), "public_reply")
    assert (await case.detail())["stage"] == "informing"  # nothing of that changed the case

    view = await case.act("sjz_handler", "/informing", {**by_mail, "channel": "sms"})
    assert view["stage"] == "closed"
    closed = await case.entry("closed")
    assert closed["text"] == "石家庄市教育局 已通过短信告知投诉人处理结果，办结"


async def test_a_named_person_handles_the_case_and_sees_it_in_their_own_work(
    system: System,
) -> None:
    case = Case(system, await register(system))
    await visible(system, "sjz_handler", case.id)
    inbox = (await system.get("sjz_handler", "/api/inbox")).json()
    [step] = [item for item in inbox["items"] if item["complaint_id"] == case.id]
    assert (step["step"], step["assignee"], step["slip_id"]) == ("下发核查单", "", "")
    assert inbox["unassigned"] >= 1

    # A handler takes it on themselves, not on someone else; only accounts of the unit that
    # may act on cases can hold it; a change of person needs a reason.
    other = await case.act("sjz_handler", "/assignee", {"assignee": "sjz_handler2"}, status=403)
    assert "领导" in other["detail"]
    for stranger in ("ca_handler", "sjz_clerk", "nobody"):
        refused_on(
            await case.act("sjz_leader", "/assignee", {"assignee": stranger}, 422), "assignee"
        )
    await case.act("sjz_handler", "/assignee", {"assignee": "sjz_handler"})
    again = await case.act("sjz_leader", "/assignee", {"assignee": "sjz_handler"}, status=409)
    assert "已是" in again["detail"]
    no_reason = await case.act("sjz_leader", "/assignee", {"assignee": "sjz_handler2"}, status=422)
    assert no_reason["detail"].startswith("reason：")
    listed = (await system.get("sjz_handler", "/api/complaints", assignee="sjz_handler")).json()
    assert case.id in [item["id"] for item in listed["items"]]

    mine = (await system.get("sjz_handler", "/api/inbox", mine="true")).json()
    assert [item["complaint_id"] for item in mine["items"]] == [case.id]
    assert mine["items"][0]["assignee_name"] == "李明（sjz_handler）"
    assert mine["notices"][0]["kind"] == "assignee"  # their own copy of the unit's notice
    assert (await system.get("sjz_handler2", "/api/inbox", mine="true")).json()["items"] == []

    await case.act("sjz_leader", "/assignee", {"assignee": "sjz_handler2", "reason": "李明休假"})
    moved = await case.entry("assignee")
    assert (moved["text"], moved["note"]) == (
        "石家庄市教育局 承办人由 sjz_handler 改为 sjz_handler2",
        "李明休假",
    )
    mine = (await system.get("sjz_handler2", "/api/inbox", mine="true")).json()
    assert [item["complaint_id"] for item in mine["items"]] == [case.id]
    unassigned = (await system.get("sjz_handler", "/api/complaints", unassigned="true")).json()
    assert case.id not in [item["id"] for item in unassigned["items"]]
