"""After informing: the follow-up call (回访), the review (复核), reopening, on the time-skipping
server. The clock starts at EPOCH (Mon 2030-03-04 09:00, Asia/Shanghai); the case is informed
that morning, so the follow-up is due at the end of Mon 11 March (5 working days) and a review
may be asked for 30 days."""

from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from domain.process import Channel, Satisfaction, Stage
from store import summary
from store.db import session_scope
from store.models import Case, CaseClock, OutboxRow, TimelineRow
from tests.support.demo import CHANG_AN_SCHOOL, CITY, MINISTRY, PROVINCE, ZHEJIANG_PROVINCE
from tests.support.process_support import (
    Process,
    at,
    attributes,
    following_up,
    refusal,
    settled,
)
from tests.workflows.test_complaint_workflow import (
    clock,
    return_slip,
    to_informing,
)
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import (
    CaseView,
    ConfirmResult,
    DecideOpinion,
    DecideReview,
    InformComplainant,
    IssueSlips,
    RecordFollowUp,
    RequestReview,
)


async def closed(process: Process) -> WorkflowHandle[Any, Any]:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    await to_informing(process, case)
    await case.execute_update(
        ComplaintWorkflow.inform_complainant, InformComplainant(actor_unit=CITY, message="已办结")
    )
    return case


async def test_follow_up_is_due_reminded_overdue_then_done(process: Process) -> None:
    case = await closed(process)
    view: CaseView = await following_up(case)
    follow_up = clock(view, "follow_up-1")
    assert (follow_up.unit, follow_up.due, follow_up.remind_at) == (CITY, at(11), at(8))
    closed_at = clock(view, "informing-1").finished_at
    assert (view.reviewing_unit, view.review_until, view.follow_up_due) == (
        PROVINCE,
        closed_at + timedelta(days=30),
        True,
    )

    await process.sleep_until(at(12, 10, 0, 0))  # past the due time: reminded, then overdue
    shown = await attributes(case)
    alert = ("ComplaintStage", "StageDue", "Overdue", "EscalationLevel")
    shown_alert = [shown[key] for key in alert]
    assert shown_alert == ["closed", at(11), True, 1]
    kinds = [row.kind for row in process.rows(TimelineRow, case_id=case.id)]
    assert kinds.count("reminder") == 1 and kinds.count("overdue") == 1

    wrong = await refusal(
        case.execute_update(
            ComplaintWorkflow.record_follow_up,
            RecordFollowUp(actor_unit=PROVINCE, result=Satisfaction.SATISFIED),
        )
    )
    assert wrong.type == "WrongUnit"
    view = await case.execute_update(
        ComplaintWorkflow.record_follow_up,
        RecordFollowUp(actor_unit=CITY, result=Satisfaction.BASICALLY, note="基本满意"),
    )
    assert [(f.result, f.unit, f.note) for f in view.follow_ups] == [
        (Satisfaction.BASICALLY, CITY, "基本满意")
    ]
    assert clock(view, "follow_up-1").status == "met"
    [stored_clock] = process.rows(CaseClock, case_id=case.id, key="follow_up-1")
    assert stored_clock.result == "basically_satisfied"
    again = await refusal(
        case.execute_update(
            ComplaintWorkflow.record_follow_up,
            RecordFollowUp(actor_unit=CITY, result=Satisfaction.SATISFIED),
        )
    )
    assert again.type == "AlreadyDone"

    # Nobody asks for a review: the period ends and the workflow with it.
    result: CaseView = await case.result()
    assert (result.stage, result.outcome, result.review_until) == (Stage.CLOSED, "closed", None)
    assert await process.env.get_current_time() >= closed_at + timedelta(days=30)
    [stored] = process.rows(Case, id=case.id)
    assert (stored.stage, stored.outcome, stored.overdue) == ("closed", "closed", False)
    assert stored.updated_at == closed_at  # still the closing time, whatever came after


async def test_review_reopens_then_upholds_the_second_answer(process: Process) -> None:
    case = await closed(process)
    await following_up(case)
    await process.sleep_until(at(5, 10, 0, 0))
    view = await case.execute_update(
        ComplaintWorkflow.request_review,
        RequestReview(channel=Channel.PHONE, reason="学籍仍未恢复", actor_unit=CITY, actor="clerk"),
    )
    assert clock(view, "follow_up-1").status == "stopped"
    review = clock(view, "review-1")
    assert (review.unit, review.due) == (PROVINCE, at(19))  # 10 working days
    assert view.review_until is None  # one review per answer
    twice = await refusal(
        case.execute_update(
            ComplaintWorkflow.request_review,
            RequestReview(channel=Channel.WEB, reason="再次申请"),
        )
    )
    assert twice.type == "AlreadyDone"
    not_above = await refusal(
        case.execute_update(
            ComplaintWorkflow.decide_review,
            DecideReview(actor_unit=CITY, uphold=True, reason="维持"),
        )
    )
    assert not_above.type == "WrongUnit"

    view = await case.execute_update(
        ComplaintWorkflow.decide_review,
        DecideReview(actor_unit=PROVINCE, uphold=False, reason="请核实转出手续并附凭证"),
    )
    assert (view.stage, view.outcome, view.reopened) == (Stage.OPINION, "", 1)
    assert clock(view, "opinion-2").due == at(12)  # a new round at the handling unit
    view = await case.execute_update(
        ComplaintWorkflow.decide_opinion,
        DecideOpinion(actor_unit=CITY, opinion="重新办理", executing_units=[CHANG_AN_SCHOOL]),
    )
    assert view.supervision_round == 2
    await return_slip(process, case, "S2", CHANG_AN_SCHOOL, "已恢复")
    await settled(case, Stage.CONFIRMATION)
    await case.execute_update(ComplaintWorkflow.confirm_result, ConfirmResult(actor_unit=CITY))
    await case.execute_update(
        ComplaintWorkflow.inform_complainant, InformComplainant(actor_unit=CITY, message="已重办")
    )
    view = await following_up(case)
    assert clock(view, "follow_up-2").due == at(12)
    closed_again = clock(view, "informing-2").finished_at
    assert view.review_until == closed_again + timedelta(days=30)

    await case.execute_update(
        ComplaintWorkflow.request_review, RequestReview(channel=Channel.WEB, reason="仍不满意")
    )
    view = await case.execute_update(
        ComplaintWorkflow.decide_review,
        DecideReview(actor_unit=PROVINCE, uphold=True, reason="处理结果符合规定"),
    )
    assert [(r.channel, r.upheld) for r in view.reviews] == [
        (Channel.PHONE, False),
        (Channel.WEB, True),
    ]
    assert view.stage is Stage.CLOSED
    await case.execute_update(
        ComplaintWorkflow.record_follow_up,
        RecordFollowUp(actor_unit=CITY, result=Satisfaction.NOT_SATISFIED),
    )
    # The workflow ends with the review period of the second answer.
    result: CaseView = await case.result()
    assert (result.stage, result.outcome, result.reopened) == (Stage.CLOSED, "closed", 1)
    told = process.rows(OutboxRow, case_id=case.id, to_complainant=True)
    assert [row.kind for row in told if row.kind not in ("registered", "transferred")] == [
        "informed",
        "reopened",
        "informed",
        "review_upheld",
    ]
    kinds = [row.kind for row in process.rows(TimelineRow, case_id=case.id)]
    assert kinds.count("reopened") == 1 and kinds.count("review_upheld") == 1
    # The answers and decisions as data on the clocks, which the oversight figures count; the
    # second call was recorded after the review request had stopped its clock.
    results = {
        row.key: (row.status, row.result)
        for row in process.rows(CaseClock, case_id=case.id)
        if row.key.startswith(("follow_up-", "review-"))
    }
    assert results == {
        "follow_up-1": ("stopped", ""),
        "review-1": ("met", "reopened"),
        "follow_up-2": ("stopped", "not_satisfied"),
        "review-2": ("met", "upheld"),
    }
    engine = process.store()
    try:
        with session_scope(engine) as session:
            assert summary.check(session) == []  # the records kept the summaries exact
    finally:
        engine.dispose()


async def test_the_ministrys_own_case_is_reviewed_by_the_ministry(process: Process) -> None:
    case = await process.start(school_codes=[CHANG_AN_SCHOOL, "2330102001"])
    await settled(case, Stage.VERIFY_ISSUE)
    await case.execute_update(
        ComplaintWorkflow.issue_verification,
        IssueSlips(actor_unit=MINISTRY, addressees=[ZHEJIANG_PROVINCE]),
    )
    await return_slip(process, case, "V1", ZHEJIANG_PROVINCE)
    await settled(case, Stage.OPINION)
    await case.execute_update(
        ComplaintWorkflow.decide_opinion, DecideOpinion(actor_unit=MINISTRY, opinion="无需处理")
    )
    await case.execute_update(
        ComplaintWorkflow.inform_complainant,
        InformComplainant(actor_unit=MINISTRY, message="已办结"),
    )
    view = await following_up(case)
    assert (view.handling_unit, view.reviewing_unit) == (MINISTRY, MINISTRY)
