"""One complaint through every step of DESIGN §5 on the time-skipping server (real worker).

Times are exact: the clock starts at EPOCH (Mon 2030-03-04 09:00, Asia/Shanghai, a March
without holidays) and moves only when a test sleeps.
"""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from domain.process import Channel, Satisfaction, SlipKind, Stage
from domain.records import SlipState
from store.cases import timeline
from store.db import session_scope
from store.models import Case, CaseClock, OutboxRow, TimelineRow
from tests.support.demo import CHANG_AN, CHANG_AN_SCHOOL, CITY, PROVINCE, QIAO_XI
from tests.support.process_support import (
    CONTENT,
    EPOCH,
    ID_CARD,
    NAME,
    PHONE,
    Process,
    at,
    attributes,
    following_up,
    refusal,
    running_process,
    settled,
    state,
)
from tests.support.stores import load_official_year
from tests.support.waiting import eventually
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import (
    AssignCase,
    CaseView,
    Clock,
    ConfirmResult,
    DecideOpinion,
    InformComplainant,
    IssueSlips,
    RaiseDispute,
    RecordFollowUp,
    Rework,
    RuleDispute,
    Withdraw,
)
from workflows.messages.slip import AssignSlip, ReturnSlip
from workflows.slip import SlipWorkflow


async def return_slip(
    process: Process, case: WorkflowHandle[Any, Any], slip_id: str, unit: str, text: str = "已核实"
) -> SlipState:
    slip = process.env.client.get_workflow_handle(f"{case.id}.{slip_id}")
    result: SlipState = await slip.execute_update(
        SlipWorkflow.return_slip, ReturnSlip(actor_unit=unit, slip_id=slip_id, response=text)
    )
    return result


def clock(view: CaseView, key: str) -> Any:
    return next(c for c in view.clocks if c.key == key)


async def to_verification(process: Process, case: WorkflowHandle[Any, Any]) -> CaseView:
    view: CaseView = await case.execute_update(
        ComplaintWorkflow.issue_verification,
        IssueSlips(actor_unit=CITY, addressees=[CHANG_AN, QIAO_XI], instructions="请核查学籍转出"),
    )
    return view


async def to_opinion(process: Process, case: WorkflowHandle[Any, Any]) -> CaseView:
    await to_verification(process, case)
    await return_slip(process, case, "V1", CHANG_AN)
    await return_slip(process, case, "V2", QIAO_XI)
    return await settled(case, Stage.OPINION)


async def to_execution(process: Process, case: WorkflowHandle[Any, Any]) -> CaseView:
    await to_opinion(process, case)
    view: CaseView = await case.execute_update(
        ComplaintWorkflow.decide_opinion,
        DecideOpinion(actor_unit=CITY, opinion="恢复该生学籍", executing_units=[CHANG_AN_SCHOOL]),
    )
    return view


async def to_confirmation(process: Process, case: WorkflowHandle[Any, Any]) -> CaseView:
    await to_execution(process, case)
    await return_slip(process, case, "S1", CHANG_AN_SCHOOL, "已恢复")
    return await settled(case, Stage.CONFIRMATION)


async def to_informing(process: Process, case: WorkflowHandle[Any, Any]) -> CaseView:
    await to_confirmation(process, case)
    view: CaseView = await case.execute_update(
        ComplaintWorkflow.confirm_result, ConfirmResult(actor_unit=CITY)
    )
    return view


async def to_disputed(process: Process, case: WorkflowHandle[Any, Any]) -> CaseView:
    await case.signal(
        ComplaintWorkflow.raise_dispute,
        RaiseDispute(actor_unit=CHANG_AN, proposed_unit=CHANG_AN, reason="应由区处理"),
    )
    return await settled(case, Stage.DISPUTED)


# ------------------------------------------------------------------ the whole way


async def test_happy_path_every_due_time_and_alert(process: Process) -> None:
    case = await process.start()

    view = await settled(case, Stage.VERIFY_ISSUE)
    assert (view.handling_unit, view.province, view.route) == (CITY, PROVINCE, [PROVINCE, CITY])
    issue = clock(view, "verify_issue-1")
    assert (issue.unit, issue.due, issue.remind_at) == (CITY, at(7), at(6))
    assert issue.estimated  # 2030 has no official arrangement yet
    await alerts_are(case, "verify_issue", at(7))

    await process.sleep_until(at(5, 10, 0, 0))
    view = await to_verification(process, case)
    assert view.stage is Stage.VERIFICATION
    assert clock(view, "verify_issue-1").status == "met"
    v1, v2 = view.slips
    assert (v1.slip_id, v1.addressee, v1.route) == ("V1", CHANG_AN, [CITY, CHANG_AN])
    assert (v2.slip_id, v2.addressee, v2.route) == ("V2", QIAO_XI, [CITY, QIAO_XI])
    assert v1.clock is not None and (v1.clock.due, v1.clock.remind_at) == (at(12), at(11))
    await alerts_are(case, "verification", at(12))  # the earliest open slip

    await process.sleep_until(at(6, 10, 0, 0))
    returned = await return_slip(process, case, "V1", CHANG_AN)
    assert returned.status == "returned"
    assert [(h.from_unit, h.to_unit) for h in returned.hops] == [(CITY, CHANG_AN), (CHANG_AN, CITY)]
    # Each hop is recorded when that level has the slip: going down, then back up after
    # the answer.
    assert returned.sent_at <= returned.hops[0].at <= returned.returned_at <= returned.hops[1].at
    assert (await state(case)).stage is Stage.VERIFICATION  # V2 is still out
    await alerts_are(case, "verification", at(12))

    await process.sleep_until(at(7, 10, 0, 0))
    await return_slip(process, case, "V2", QIAO_XI)
    view = await settled(case, Stage.OPINION)
    assert clock(view, "opinion-1").due == at(14)  # 5 working days from the last return
    await alerts_are(case, "opinion", at(14))

    view = await case.execute_update(
        ComplaintWorkflow.decide_opinion,
        DecideOpinion(actor_unit=CITY, opinion="恢复该生学籍", executing_units=[CHANG_AN_SCHOOL]),
    )
    s1 = view.slips[2]
    assert (s1.slip_id, s1.kind, s1.round) == ("S1", SlipKind.SUPERVISION, 1)
    assert s1.route == [CITY, CHANG_AN, CHANG_AN_SCHOOL]  # down level by level through the district
    assert s1.clock is not None and s1.clock.due == at(14)
    await alerts_are(case, "execution", at(14))

    await process.sleep_until(at(8, 10, 0, 0))
    returned = await return_slip(process, case, "S1", CHANG_AN_SCHOOL, "已恢复学籍")
    assert [(h.from_unit, h.to_unit) for h in returned.hops] == [
        (CITY, CHANG_AN),
        (CHANG_AN, CHANG_AN_SCHOOL),
        (CHANG_AN_SCHOOL, CHANG_AN),
        (CHANG_AN, CITY),
    ]
    view = await settled(case, Stage.CONFIRMATION)
    assert clock(view, "confirmation-1").due == at(13)  # Fri 8th + Mon, Tue, Wed
    await alerts_are(case, "confirmation", at(13))

    view = await case.execute_update(
        ComplaintWorkflow.confirm_result, ConfirmResult(actor_unit=CITY)
    )
    assert clock(view, "informing-1").due == at(12)
    await alerts_are(case, "informing", at(12))

    view = await case.execute_update(
        ComplaintWorkflow.inform_complainant,
        InformComplainant(actor_unit=CITY, message="已恢复您孩子的学籍"),
    )
    assert (view.stage, view.outcome) == (Stage.CLOSED, "closed")
    view = await following_up(case)
    assert clock(view, "follow_up-1").due == at(15)  # 5 working days from informing
    await alerts_are(case, "closed", at(15))
    await case.execute_update(
        ComplaintWorkflow.record_follow_up,
        RecordFollowUp(actor_unit=CITY, result=Satisfaction.SATISFIED),
    )
    result = await case.result()  # at the end of the review period (30 days)
    assert all(c.status == "met" and not c.overdue for c in result.clocks)
    await alerts_are(case, "closed", at(15))  # a finished case keeps its last due time

    # The read model has every step, hop and notice, once.
    entries = process.rows(TimelineRow, case_id=case.id)
    kinds = [row.kind for row in entries]
    assert kinds.count("forwarded") == 1 and kinds.count("slip_sent") == 4
    assert kinds.count("slip_returned") == 4
    assert [row.kind for row in sorted(entries, key=lambda row: row.at)][-4:] == [
        "closed",
        "follow_up_due",
        "followed_up",
        "aftercare_over",
    ]
    # As the case page reads it: the issuing, then each slip's way down and its receipt.
    engine = process.store()
    with session_scope(engine) as session:
        keys = [row.key for row in timeline(session, case.id)]
    engine.dispose()
    issuing = next(row.key for row in entries if row.kind == "verification")
    start = keys.index(issuing)
    assert sorted(keys[start + 1 : start + 5]) == [
        "V1:received",
        "V1:sent:0",
        "V2:received",
        "V2:sent:0",
    ]
    assert keys.index("V1:sent:0") < keys.index("V1:received")
    assert keys.index("V2:sent:0") < keys.index("V2:received")
    steps = {row.key: row.status for row in process.rows(CaseClock, case_id=case.id)}
    assert steps == dict.fromkeys(
        [
            "verify_issue-1",
            "opinion-1",
            "confirmation-1",
            "informing-1",
            "follow_up-1",
            "slip-V1",
            "slip-V2",
            "slip-S1",
        ],
        "met",
    )
    informed = process.rows(OutboxRow, case_id=case.id, kind="informed")
    assert [(row.to_complainant, row.text) for row in informed] == [(True, "")]  # sealed
    assert process.sealer().open_column(informed[0], "sealed_text") == "已恢复您孩子的学籍"
    [stored] = process.rows(Case, id=case.id)
    assert (stored.stage, stored.outcome, stored.phone_masked) == (
        "closed",
        "closed",
        "138****5678",
    )


async def alerts_are(case: WorkflowHandle[Any, Any], stage: str, due: Any) -> None:
    """The search attributes of the Hebei test case, as the Web UI shows them, are exactly these."""
    assert await attributes(case) == {
        "ComplaintStage": stage,
        "HandlingUnit": CITY,
        "ProvinceCode": PROVINCE,
        "StageDue": due,
        "Overdue": False,
        "EscalationLevel": 0,
        "Channel": "web",
        "TrackingNo": (await state(case)).tracking_no,
    }


async def test_history_holds_no_personal_data(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    await to_informing(process, case)
    await case.execute_update(
        ComplaintWorkflow.inform_complainant,
        InformComplainant(actor_unit=CITY, message=f"{NAME}家长：学籍已恢复"),
    )
    await case.result()

    histories = [await case.fetch_history()] + [
        await process.env.client.get_workflow_handle(f"{case.id}.{slip}").fetch_history()
        for slip in ("V1", "V2", "S1")
    ]
    for history in histories:
        raw = b"".join(event.SerializeToString() for event in history.events)
        for secret in (NAME, PHONE, ID_CARD, CONTENT, "请核查学籍转出", "已恢复"):
            assert secret.encode() not in raw
        assert b"binary/encrypted" in raw


# ------------------------------------------------------------------ registration


async def test_higher_unit_transfers_up_and_tells_the_complainant(process: Process) -> None:
    case = await process.start(receiving_unit=CHANG_AN)
    view = await settled(case, Stage.VERIFY_ISSUE)
    assert (view.handling_unit, view.route) == (CITY, [CHANG_AN, CITY])


async def test_phone_call_referred_to_the_lower_units_hotline(process: Process) -> None:
    case = await process.start(
        channel=Channel.PHONE, refer_to_hotline=True, school_codes=[CHANG_AN_SCHOOL]
    )
    result = await case.result()
    assert (result.stage, result.outcome, result.handling_unit) == (
        Stage.REFERRED,
        "referred",
        CHANG_AN,
    )
    assert (await attributes(case))["ComplaintStage"] == "referred"


async def test_referral_only_for_phone_calls(process: Process) -> None:
    case = await process.start(refer_to_hotline=True, school_codes=[CHANG_AN_SCHOOL])
    view = await settled(case, Stage.VERIFY_ISSUE)
    assert view.route == [PROVINCE, CITY, CHANG_AN]  # forwarded level by level instead


# ------------------------------------------------------------------ refusals


async def test_refused_actions_say_why_and_change_nothing(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)

    wrong_step = await refusal(
        case.execute_update(ComplaintWorkflow.confirm_result, ConfirmResult(actor_unit=CITY))
    )
    assert wrong_step.type == "WrongStep" and "下发核查单" in wrong_step.message
    wrong_unit = await refusal(
        case.execute_update(
            ComplaintWorkflow.issue_verification,
            IssueSlips(actor_unit=CHANG_AN, addressees=[QIAO_XI]),
        )
    )
    assert wrong_unit.type == "WrongUnit" and CITY in wrong_unit.message
    malformed = await refusal(
        case.execute_update(
            ComplaintWorkflow.issue_verification, IssueSlips(actor_unit=CITY, addressees=["13"])
        )
    )
    assert malformed.type == "InvalidInput" and "addressees" in malformed.message
    unknown = await refusal(
        case.execute_update(
            ComplaintWorkflow.issue_verification,
            IssueSlips(actor_unit=CITY, addressees=[CHANG_AN, "139999"]),
        )
    )
    assert unknown.type == "UnknownUnit" and "139999" in unknown.message
    view = await state(case)
    assert view.stage is Stage.VERIFY_ISSUE and view.slips == []

    await to_verification(process, case)
    await return_slip(process, case, "V1", CHANG_AN)
    # A returned slip's workflow has finished: it takes no further answer.
    with pytest.raises(RPCError) as finished:
        await return_slip(process, case, "V1", CHANG_AN)
    assert finished.value.status is RPCStatusCode.NOT_FOUND
    other = await refusal(return_slip(process, case, "V2", CHANG_AN))
    assert other.type == "WrongUnit" and QIAO_XI in other.message
    slip = process.env.client.get_workflow_handle(f"{case.id}.V2")
    unknown_slip = await refusal(
        slip.execute_update(
            SlipWorkflow.return_slip, ReturnSlip(actor_unit=QIAO_XI, slip_id="V9", response="x")
        )
    )
    assert unknown_slip.type == "UnknownSlip"


# ------------------------------------------------------------------ clocks


async def test_reminder_overdue_and_climbing_alerts(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)

    await process.sleep_until(at(7, 0, 0, 0))
    issue = clock(await state(case), "verify_issue-1")
    assert (issue.reminded, issue.overdue) == (True, False)

    await process.sleep_until(at(8, 0, 0, 0))
    issue = clock(await state(case), "verify_issue-1")
    assert (issue.overdue, issue.escalation_level, issue.next_escalation_at) == (True, 1, at(14))
    alerts = await attributes(case)
    assert (alerts["Overdue"], alerts["EscalationLevel"]) == (True, 1)

    await process.sleep_until(at(15, 0, 0, 0))
    issue = clock(await state(case), "verify_issue-1")
    assert (issue.escalation_level, issue.next_escalation_at) == (2, at(21))
    await process.sleep_until(at(22, 0, 0, 0))
    assert clock(await state(case), "verify_issue-1").escalation_level == 3
    assert (await attributes(case))["EscalationLevel"] == 3

    # Overdue never skips the step: the unit still issues its slips, and the alert ends.
    view = await to_verification(process, case)
    issue = clock(view, "verify_issue-1")
    assert (issue.status, issue.overdue) == ("met", True)
    alerts = await attributes(case)
    assert (alerts["ComplaintStage"], alerts["Overdue"], alerts["EscalationLevel"]) == (
        "verification",
        False,
        0,
    )


async def test_reminders_and_alerts_reach_the_person_in_charge(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    assign = AssignCase(actor_unit=CITY, actor="sjz.leader", assignee="sjz.handler")
    assert (await case.execute_update(ComplaintWorkflow.assign, assign)).assignee == "sjz.handler"

    await process.sleep_until(at(8, 0, 0, 0))  # reminded, then overdue
    person = {
        (row.kind, row.recipient_unit)
        for row in process.rows(OutboxRow)
        if row.recipient_user == "sjz.handler"
    }
    assert {("assignee", CITY), ("reminder", CITY), ("overdue", CITY)} <= person

    # A slip to a school, through its county: the school names its own person, whom the
    # slip's reminder reaches; each level has the slip in turn.
    await case.execute_update(
        ComplaintWorkflow.issue_verification,
        IssueSlips(actor_unit=CITY, actor="sjz.handler", addressees=[CHANG_AN_SCHOOL]),
    )
    slip = process.env.client.get_workflow_handle(f"{case.id}.V1")
    refused = await refusal(
        slip.execute_update(
            SlipWorkflow.assign,
            AssignSlip(actor_unit=CHANG_AN, actor="ca", slip_id="V1", assignee="ca"),
        )
    )
    assert refused.message == f"核查单 V1 应由 {CHANG_AN_SCHOOL} 指定承办人"
    mine = AssignSlip(actor_unit=CHANG_AN_SCHOOL, actor="xx", slip_id="V1", assignee="xx")
    assert (await slip.execute_update(SlipWorkflow.assign, mine)).assignee == "xx"
    await process.sleep_until(at(18, 0, 0, 0))  # due on the 15th, reminded the day before
    person = {row.kind for row in process.rows(OutboxRow) if row.recipient_user == "xx"}
    assert {"assignee", "reminder", "overdue"} <= person
    sent = process.rows(TimelineRow, case_id=case.id, kind="slip_sent")
    assert [(e.unit, e.text) for e in sorted(sent, key=lambda e: e.key)] == [
        (CHANG_AN, f"核查单 V1 逐级下发：{CITY} → {CHANG_AN}"),
        (CHANG_AN_SCHOOL, f"核查单 V1 逐级下发：{CHANG_AN} → {CHANG_AN_SCHOOL}"),
    ]
    passed = process.rows(OutboxRow, case_id=case.id, kind="slip_passed")
    assert [row.recipient_unit for row in passed] == [CHANG_AN]  # the county in between told


async def test_overdue_slip_raises_the_case_alert(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    await to_verification(process, case)

    await process.sleep_until(at(12, 0, 0, 0))
    view = await state(case)
    v1 = view.slips[0].clock
    assert v1 is not None and (v1.overdue, v1.escalation_level, v1.due) == (True, 1, at(11))
    alerts = await attributes(case)
    assert (alerts["Overdue"], alerts["EscalationLevel"]) == (True, 1)

    await return_slip(process, case, "V1", CHANG_AN)
    await return_slip(process, case, "V2", QIAO_XI)
    await settled(case, Stage.OPINION)
    assert (await attributes(case))["Overdue"] is False


async def test_calendar_change_moves_open_deadlines(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    calendar = process.settings.calendar_path
    calendar.mkdir(parents=True)
    (calendar / "2030.json").write_text(
        '{"year": 2030, "source": "测试", "holidays": ["2030-03-05"], "workdays": []}',
        encoding="utf-8",
    )
    await case.signal(ComplaintWorkflow.calendar_changed)

    async def issue_re_timed() -> Clock | None:
        issue = clock(await state(case), "verify_issue-1")
        return issue if issue.due != at(7) else None

    issue = await eventually(issue_re_timed, failure="the issuing deadline never moved")
    assert (issue.due, issue.remind_at, issue.estimated) == (at(8), at(7), False)

    view = await to_verification(process, case)
    (calendar / "2030.json").write_text(
        '{"year": 2030, "holidays": ["2030-03-05", "2030-03-11"], "workdays": []}',
        encoding="utf-8",
    )
    assert view.slips[0].clock is not None and view.slips[0].clock.due == at(12)
    await case.signal(ComplaintWorkflow.calendar_changed)

    async def slip_re_timed() -> Clock | None:
        slip_clock = (await state(case)).slips[0].clock
        return slip_clock if slip_clock is not None and slip_clock.due != at(12) else None

    slip_clock = await eventually(slip_re_timed, failure="the slip's deadline never moved")
    assert slip_clock.due == at(13)


# ------------------------------------------------------------------ disputes


async def test_dispute_ruled_by_the_superior_and_clocks_start_afresh(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    view = await to_disputed(process, case)
    dispute = view.disputes[0]
    assert (dispute.raised_by, dispute.ruling_unit, dispute.parties) == (
        CHANG_AN,
        PROVINCE,
        [CITY, CHANG_AN],
    )
    ruling = clock(view, "disputed-1")
    assert (ruling.unit, ruling.due) == (PROVINCE, at(7))
    assert clock(view, "verify_issue-1").status == "stopped"
    assert (await attributes(case))["ComplaintStage"] == "disputed"

    # Only the ruling unit may rule; the case keeps waiting.
    await case.signal(
        ComplaintWorkflow.rule_dispute, RuleDispute(actor_unit=CITY, handling_unit=CITY)
    )
    await process.sleep_until(at(5, 10, 0, 0))
    view = await state(case)
    assert view.stage is Stage.DISPUTED and view.disputes[0].ruled_at is None

    await case.signal(
        ComplaintWorkflow.rule_dispute, RuleDispute(actor_unit=PROVINCE, handling_unit=CHANG_AN)
    )
    view = await settled(case, Stage.VERIFY_ISSUE)
    assert view.handling_unit == CHANG_AN
    assert view.route == [PROVINCE, CITY, CHANG_AN]
    assert clock(view, "disputed-1").status == "met"
    fresh = clock(view, "verify_issue-2")
    assert (fresh.unit, fresh.started_at.date(), fresh.due) == (CHANG_AN, at(5).date(), at(8))
    assert (await attributes(case))["HandlingUnit"] == CHANG_AN


async def test_dispute_from_outside_the_case_is_refused(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    await case.signal(
        ComplaintWorkflow.raise_dispute, RaiseDispute(actor_unit="330000", proposed_unit="130000")
    )
    await to_verification(process, case)  # the case went on as if nothing was raised
    assert (await state(case)).disputes == []


async def test_new_handling_unit_cancels_the_old_slips(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    await to_verification(process, case)
    await case.signal(
        ComplaintWorkflow.raise_dispute, RaiseDispute(actor_unit=QIAO_XI, proposed_unit=QIAO_XI)
    )
    await settled(case, Stage.DISPUTED)
    await case.signal(
        ComplaintWorkflow.rule_dispute, RuleDispute(actor_unit=PROVINCE, handling_unit=QIAO_XI)
    )
    await settled(case, Stage.VERIFY_ISSUE)

    async def slips_cancelled() -> CaseView | None:
        view = await state(case)
        return view if all(s.status == "cancelled" for s in view.slips) else None

    view = await eventually(slips_cancelled, failure="the old slips were never cancelled")
    assert [s.status for s in view.slips] == ["cancelled", "cancelled"]
    assert view.handling_unit == QIAO_XI


# ------------------------------------------------------------------ rework and outcomes


async def test_rework_twice_then_close(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    await to_confirmation(process, case)
    for round_no, slip_id in ((2, "S2"), (3, "S3")):
        view = await case.execute_update(
            ComplaintWorkflow.rework,
            Rework(
                actor_unit=CITY,
                executing_units=[CHANG_AN_SCHOOL],
                instructions="结果不完整，请重办",
            ),
        )
        assert (view.stage, view.supervision_round) == (Stage.EXECUTION, round_no)
        await return_slip(process, case, slip_id, CHANG_AN_SCHOOL, "已重办")
        await settled(case, Stage.CONFIRMATION)
    await case.execute_update(ComplaintWorkflow.confirm_result, ConfirmResult(actor_unit=CITY))
    await case.execute_update(
        ComplaintWorkflow.inform_complainant, InformComplainant(actor_unit=CITY, message="已办结")
    )
    result = await case.result()
    supervision = [(s.slip_id, s.round) for s in result.slips if s.kind is SlipKind.SUPERVISION]
    assert supervision == [("S1", 1), ("S2", 2), ("S3", 3)]
    assert result.outcome == "closed"


async def test_nothing_to_be_done_goes_straight_to_informing(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    await to_opinion(process, case)
    view = await case.execute_update(
        ComplaintWorkflow.decide_opinion, DecideOpinion(actor_unit=CITY, opinion="经核查学籍无误")
    )
    assert view.stage is Stage.INFORMING
    assert clock(view, "informing-1").due == at(6)


@pytest.mark.parametrize(
    "reach",
    [
        None,
        to_verification,
        to_opinion,
        to_execution,
        to_confirmation,
        to_informing,
        to_disputed,
    ],
    ids=lambda reach: reach.__name__ if reach else "to_verify_issue",
)
async def test_withdrawal_at_every_step(process: Process, reach: Any) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    if reach is not None:
        await reach(process, case)
    await case.signal(ComplaintWorkflow.withdraw, Withdraw(reason="问题已解决"))
    result = await case.result()
    assert (result.stage, result.outcome) == (Stage.WITHDRAWN, "withdrawn")
    assert all(s.status in ("returned", "cancelled") for s in result.slips)
    assert all(c.status != "open" for c in result.clocks)
    alerts = await attributes(case)
    assert (alerts["ComplaintStage"], alerts["Overdue"]) == ("withdrawn", False)


# ------------------------------------------------------------------ real calendar years


async def test_deadline_across_national_day_2026(tmp_path: Path) -> None:
    async with running_process(tmp_path / "data", skip_to=None) as process:
        case = await process.start(received_at=EPOCH.replace(2026, 9, 30, 16, 5))
        view = await settled(case, Stage.VERIFY_ISSUE)
        issue = clock(view, "verify_issue-1")
        # Oct 1-7 are holidays, Sat Oct 10 a make-up working day: Oct 8, 9, 10.
        assert issue.due == EPOCH.replace(2026, 10, 10, 23, 59, 59)
        assert issue.remind_at == EPOCH.replace(2026, 10, 9, 23, 59, 59)
        assert not issue.estimated


async def test_deadline_from_an_official_year_into_an_estimated_one(tmp_path: Path) -> None:
    async with running_process(tmp_path / "data", skip_to=None) as process:
        # 2030 loaded as official (the test's own arrangement), 2031 not: the count crosses
        # into a year the calendar estimates, whatever the calendar package has learnt since.
        load_official_year(process.settings.store_url, 2030, [date(2030, 1, 1)], now=EPOCH)
        case = await process.start(received_at=EPOCH.replace(2030, 12, 30, 10, 0))
        view = await settled(case, Stage.VERIFY_ISSUE)
        issue = clock(view, "verify_issue-1")
        # Tue Dec 31, (Wed Jan 1 New Year's Day by the statutory rules), Thu Jan 2, Fri Jan 3.
        assert issue.due == EPOCH.replace(2031, 1, 3, 23, 59, 59)
        assert issue.remind_at == EPOCH.replace(2031, 1, 2, 23, 59, 59)
        assert issue.estimated
