"""Record the histories that tests/replay/test_replay.py replays:
`python -m tests.replay.record_histories [path ...]`.

Each main path of the complaint process runs on the time-skipping server with the real
worker; the histories of the case and of its slips are written to tests/replay/histories/ as
`<path>.<workflow>.json`. Re-record only when a change is *meant* to alter histories of new
cases, and keep the old files too, so running cases of the old code still replay (see
docs/operations.md, "Changing workflow code safely").
"""

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from domain.process import Channel, InformChannel, Satisfaction, Stage
from tests.support.demo import CHANG_AN_SCHOOL
from tests.support.process_support import Process, at, following_up, running_process, settled
from tests.workflows.test_campaign_workflow import QIAO_XI, open_campaign, report, submit
from tests.workflows.test_complaint_workflow import (
    CHANG_AN,
    CITY,
    PROVINCE,
    return_slip,
    to_confirmation,
    to_informing,
    to_verification,
)
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import (
    AssignCase,
    ConfirmResult,
    DecideOpinion,
    DecideReview,
    InformComplainant,
    IssueSlips,
    RaiseDispute,
    RecordFollowUp,
    RequestReview,
    Rework,
    RuleDispute,
    Withdraw,
)
from workflows.messages.slip import AssignSlip, ReturnSlip
from workflows.slip import SlipWorkflow

HISTORIES = Path(__file__).parent / "histories"

Case = WorkflowHandle[Any, Any]


async def closed(process: Process, case: Case) -> None:
    await to_informing(process, case)
    await case.execute_update(
        ComplaintWorkflow.inform_complainant, InformComplainant(actor_unit=CITY, message="已办结")
    )


async def reworked(process: Process, case: Case) -> None:
    await to_confirmation(process, case)
    await case.execute_update(
        ComplaintWorkflow.rework, Rework(actor_unit=CITY, executing_units=[CHANG_AN_SCHOOL])
    )
    await return_slip(process, case, "S2", CHANG_AN_SCHOOL, "已重办")
    await settled(case, Stage.CONFIRMATION)
    await case.execute_update(ComplaintWorkflow.confirm_result, ConfirmResult(actor_unit=CITY))
    await case.execute_update(
        ComplaintWorkflow.inform_complainant, InformComplainant(actor_unit=CITY, message="已办结")
    )


async def disputed(process: Process, case: Case) -> None:
    await to_verification(process, case)
    await case.signal(
        ComplaintWorkflow.raise_dispute, RaiseDispute(actor_unit=CHANG_AN, proposed_unit=CHANG_AN)
    )
    await settled(case, Stage.DISPUTED)
    await case.signal(
        ComplaintWorkflow.rule_dispute, RuleDispute(actor_unit=CITY, handling_unit=CITY)
    )  # refused: not the ruling unit
    await case.signal(
        ComplaintWorkflow.rule_dispute, RuleDispute(actor_unit=PROVINCE, handling_unit=CHANG_AN)
    )
    await settled(case, Stage.VERIFY_ISSUE)
    await case.signal(ComplaintWorkflow.withdraw, Withdraw())


async def at_a_school(process: Process, case: Case) -> None:
    """A named person handles the case, a verification slip goes to a school through its
    county and back (each hop in turn), the school names its own person, and the complainant
    is told by phone after a call that got nobody."""
    await case.execute_update(
        ComplaintWorkflow.assign,
        AssignCase(actor_unit=CITY, actor="sjz.leader", assignee="sjz.handler"),
    )
    await case.execute_update(
        ComplaintWorkflow.issue_verification,
        IssueSlips(
            actor_unit=CITY,
            actor="sjz.handler",
            addressees=[CHANG_AN_SCHOOL],
            instructions="请核查",
        ),
    )
    slip = process.env.client.get_workflow_handle(f"{case.id}.V1")
    await slip.execute_update(
        SlipWorkflow.assign,
        AssignSlip(
            actor_unit=CHANG_AN_SCHOOL, actor="xx.handler", slip_id="V1", assignee="xx.handler"
        ),
    )
    await slip.execute_update(
        SlipWorkflow.return_slip,
        ReturnSlip(actor_unit=CHANG_AN_SCHOOL, actor="xx.handler", slip_id="V1", response="已核实"),
    )
    await settled(case, Stage.OPINION)
    await case.execute_update(
        ComplaintWorkflow.decide_opinion,
        DecideOpinion(actor_unit=CITY, actor="sjz.handler", opinion="无需处理"),
    )
    for reached in (False, True):
        await case.execute_update(
            ComplaintWorkflow.inform_complainant,
            InformComplainant(
                actor_unit=CITY,
                actor="sjz.handler",
                message="电话告知核查结果",
                channel=InformChannel.PHONE,
                reached=reached,
                public_reply="经核查，学籍登记无误",
            ),
        )


async def reviewed(process: Process, case: Case) -> None:
    """Closed, then (patch follow-up-and-review) the follow-up call runs late, the complainant
    asks for a review by phone, the province reopens the case, the city closes it again, a
    review asked on the tracking page is upheld, and the review period ends."""
    await closed(process, case)
    await following_up(case)
    await process.sleep_until(at(13, 10, 0, 0))  # the follow-up reminded and overdue
    await case.execute_update(
        ComplaintWorkflow.record_follow_up,
        RecordFollowUp(actor_unit=CITY, actor="sjz.handler", result=Satisfaction.NOT_SATISFIED),
    )
    await case.execute_update(
        ComplaintWorkflow.request_review,
        RequestReview(channel=Channel.PHONE, reason="不满意", actor_unit=CITY, actor="sjz.clerk"),
    )
    await case.execute_update(
        ComplaintWorkflow.decide_review,
        DecideReview(actor_unit=PROVINCE, actor="hb.leader", uphold=False, reason="请重新核查"),
    )
    await case.execute_update(
        ComplaintWorkflow.decide_opinion, DecideOpinion(actor_unit=CITY, opinion="经重新核查无误")
    )
    await case.execute_update(
        ComplaintWorkflow.inform_complainant, InformComplainant(actor_unit=CITY, message="已复查")
    )
    await following_up(case)
    await case.execute_update(
        ComplaintWorkflow.request_review, RequestReview(channel=Channel.WEB, reason="仍不满意")
    )
    await case.execute_update(
        ComplaintWorkflow.decide_review,
        DecideReview(actor_unit=PROVINCE, uphold=True, reason="处理符合规定"),
    )


async def overdue(process: Process, case: Case) -> None:
    await process.sleep_until(at(22, 0, 0, 0))  # reminder, overdue, two escalations
    await to_verification(process, case)
    await process.sleep_until(at(13, 0, 0, 0, month=4))  # the slips run late too
    (process.settings.calendar_path).mkdir(parents=True, exist_ok=True)
    (process.settings.calendar_path / "2030.json").write_text(
        '{"year": 2030, "holidays": ["2030-04-15"], "workdays": []}', encoding="utf-8"
    )
    await case.signal(ComplaintWorkflow.calendar_changed)
    await process.sleep(seconds=1)
    await case.signal(ComplaintWorkflow.withdraw, Withdraw())


PATHS: dict[str, tuple[dict[str, Any], Callable[[Process, Case], Awaitable[None]] | None]] = {
    "closed": ({}, closed),
    "reworked": ({}, reworked),
    "disputed": ({}, disputed),
    "overdue": ({}, overdue),
    "referred": (
        {"channel": Channel.PHONE, "refer_to_hotline": True, "school_codes": [CHANG_AN_SCHOOL]},
        None,
    ),
    "school": ({}, at_a_school),  # recorded with the slip-hops-in-turn patch
    "reviewed": ({}, reviewed),  # recorded with the follow-up-and-review patch
    # recorded with the one-look-up-one-record and slip-one-record-per-passage patches
    "reviewed_fewer": ({}, reviewed),
    "school_fewer": ({}, at_a_school),
    # recorded with due-times-counted-in-workflow (the alerts' climbs too: overdue)
    "reviewed_window": ({}, reviewed),
    "overdue_window": ({}, overdue),
}


async def record(name: str, changes: dict[str, Any], drive: Any) -> None:
    with tempfile.TemporaryDirectory() as data:
        async with running_process(Path(data)) as process:
            case = await process.start(**changes)
            if drive is not None:
                await settled(case, Stage.VERIFY_ISSUE)
                await drive(process, case)
            await case.result()
            handles = [("case", case)] + [
                (slip.slip_id, process.env.client.get_workflow_handle(f"{case.id}.{slip.slip_id}"))
                for slip in (await case.result()).slips
            ]
            for role, handle in handles:
                history = await handle.fetch_history()
                (HISTORIES / f"{name}.{role}.json").write_text(history.to_json(), encoding="utf-8")


async def record_campaign() -> None:
    """A personnel-table campaign: a report, the reminder, a correction, the due-date alert,
    a refused late correction, and a late first report that closes it."""
    with tempfile.TemporaryDirectory() as data:
        async with running_process(Path(data)) as process:
            handle = await open_campaign(process, date(2030, 3, 15), [CITY, CHANG_AN, QIAO_XI])
            await submit(handle, CITY, report(CITY, "王建国"))
            await process.sleep_until(at(13, 10, 0, 0))
            await submit(handle, CHANG_AN, report(CHANG_AN, "赵敏"))
            await submit(handle, CHANG_AN, report(CHANG_AN, "赵敏", "孙强"))
            await process.sleep_until(at(16, 9, 0, 0))
            with suppress(WorkflowUpdateFailedError):
                await submit(handle, CHANG_AN, report(CHANG_AN, "周杰"))
            await submit(handle, QIAO_XI, report(QIAO_XI, "钱立"))
            await handle.result()
            history = await handle.fetch_history()
            (HISTORIES / "campaign.campaign.json").write_text(history.to_json(), encoding="utf-8")


async def main(names: list[str]) -> None:
    """Record the paths named (all when none are), overwriting their files."""
    HISTORIES.mkdir(exist_ok=True)
    for name, (changes, drive) in PATHS.items():
        if not names or name in names:
            await record(name, changes, drive)
            print(f"recorded {name}")
    if not names or "campaign" in names:
        await record_campaign()
        print("recorded campaign")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
