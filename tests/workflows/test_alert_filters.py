"""The alert board: the Web UI's saved filters over the search attributes, on the dev server.

Cases received on 2026-09-30 are past their first deadline the moment they start; cases
received now are not. The visibility store is eventually consistent, so each filter is read
until it settles (bounded), then compared with exactly the cases it must list.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from domain.process import Stage
from domain.workdays import SHANGHAI
from tests.support.demo import (
    CHANG_AN,
    CHANG_AN_SCHOOL,
    CITY,
    PROVINCE,
    QIAO_XI,
    QIAO_XI_SCHOOL,
    SHANG_CHENG,
    SHANG_CHENG_SCHOOLS,
    ZHEJIANG_PROVINCE,
)
from tests.support.process_support import CONTENT, ID_CARD, NAME, PHONE, prepare_store, start_case
from tests.support.waiting import eventually
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import CaseView, IssueSlips, Withdraw
from xueji.worker import build_worker

LATE = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # due 2026-10-10: long past
HEBEI = {"receiving_unit": PROVINCE, "school_codes": [CHANG_AN_SCHOOL, QIAO_XI_SCHOOL]}
HEBEI_CITY = CITY  # 石家庄: the lowest unit over both schools
ZHEJIANG = {"receiving_unit": ZHEJIANG_PROVINCE, "school_codes": SHANG_CHENG_SCHOOLS}
ZHEJIANG_COUNTY = SHANG_CHENG  # 上城区: both schools are its own
SETTLE_SECONDS = 10.0  # for a case or a filter to settle

Case = WorkflowHandle[Any, CaseView]


async def state_when(case: Case, wanted: Callable[[CaseView], bool]) -> CaseView:
    """The case's state once `wanted(state)` holds."""
    seen: list[CaseView | None] = [None]

    async def wanted_state() -> CaseView | None:
        try:
            seen[0] = await case.query(ComplaintWorkflow.state)
        except RPCError:  # the first workflow task has not completed yet
            seen[0] = None
        return seen[0] if seen[0] is not None and wanted(seen[0]) else None

    return await eventually(
        wanted_state,
        timeout=SETTLE_SECONDS,
        failure=lambda: f"{case.id} never reached the expected state: {seen[0]}",
    )


def overdue_and_quiet(view: CaseView) -> bool:
    """Overdue, and done climbing for now: every escalation due so far has happened."""
    clock = view.clocks[-1] if view.clocks else None
    return (
        clock is not None
        and clock.overdue
        and (clock.next_escalation_at is None or clock.next_escalation_at > datetime.now(UTC))
    )


async def listed(client: Client, query: str, expected: set[str]) -> tuple[set[str], int]:
    """The ids `list_workflows` gives for `query` and what `count_workflows` says, once both
    agree with `expected` or the wait is over (visibility lags the workflows a little)."""
    seen: tuple[set[str], int] = (set(), -1)

    async def agreed() -> bool:
        nonlocal seen
        ids = {execution.id async for execution in client.list_workflows(query)}
        seen = (ids, (await client.count_workflows(query)).count)
        return seen == (expected, len(expected))

    with contextlib.suppress(AssertionError):  # the caller compares what was seen last
        await eventually(agreed, timeout=SETTLE_SECONDS)
    return seen


async def test_alert_filters_list_exactly_the_matching_cases(
    tmp_path: Path, dev_server: WorkflowEnvironment
) -> None:
    client = dev_server.client
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url="",  # the SQLite file in data_dir, whatever DATABASE_URL says
        temporal_task_queue=f"alerts-{uuid.uuid4().hex[:8]}",
    )
    prepare_store(settings)
    async with build_worker(client, settings):
        now = datetime.now(SHANGHAI)
        hebei_late = [await start_case(client, settings, received_at=LATE, **HEBEI) for _ in "ab"]
        hebei_now = [await start_case(client, settings, received_at=now, **HEBEI) for _ in "ab"]
        zhejiang_late = await start_case(client, settings, received_at=LATE, **ZHEJIANG)
        zhejiang_now = await start_case(client, settings, received_at=now, **ZHEJIANG)
        late = [*hebei_late, zhejiang_late]
        current = [*hebei_now, zhejiang_now]
        everyone = [*late, *current]

        for case in late:
            view = await state_when(case, overdue_and_quiet)
            assert (view.stage, view.overdue) == (Stage.VERIFY_ISSUE, True)
            assert view.escalation_level >= 1
        for case in current:
            view = await state_when(case, lambda v: v.stage is Stage.VERIFY_ISSUE)
            assert (view.overdue, view.escalation_level) == (False, 0)
        # One current Hebei case moves on, so the stage filter has something to leave out.
        issued = hebei_now[1]
        await issued.execute_update(
            ComplaintWorkflow.issue_verification,
            IssueSlips(actor_unit=HEBEI_CITY, addressees=[CHANG_AN, QIAO_XI]),
        )

        views = {case.id: await case.query(ComplaintWorkflow.state) for case in everyone}
        ours = " AND TrackingNo IN ({})".format(
            ", ".join(f'"{view.tracking_no}"' for view in views.values())
        )
        ids = {case.id for case in everyone}
        expectations = {
            'Overdue = true AND ProvinceCode = "130000"': {c.id for c in hebei_late},
            'Overdue = true AND ProvinceCode = "330000"': {zhejiang_late.id},
            "EscalationLevel >= 1": {c.id for c in late},
            "Overdue = false": {c.id for c in current},
            'ComplaintStage = "verify_issue"': ids - {issued.id},
            'ComplaintStage = "verification"': {issued.id},
            f'HandlingUnit = "{HEBEI_CITY}"': {c.id for c in [*hebei_late, *hebei_now]},
            f'HandlingUnit = "{ZHEJIANG_COUNTY}" AND Overdue = false': {zhejiang_now.id},
        }
        for query, expected in expectations.items():
            assert await listed(client, query + ours, expected) == (expected, len(expected)), query

        # What the Web UI shows of each case: codes, steps, flags; never personal data.
        for case in everyone:
            described = await case.describe()
            shown = {pair.key.name: pair.value for pair in described.typed_search_attributes}
            view = views[case.id]
            assert shown["TrackingNo"] == view.tracking_no
            assert (shown["HandlingUnit"], shown["ProvinceCode"]) == (
                view.handling_unit,
                view.province,
            )
            assert (shown["Overdue"], shown["EscalationLevel"]) == (
                view.overdue,
                view.escalation_level,
            )
            text = " ".join(str(value) for value in shown.values())
            assert [s for s in (NAME, PHONE, ID_CARD, CONTENT) if s in text] == []

        # A withdrawn case leaves the alert board; the shared server keeps no running case.
        for case in everyone:
            await case.signal(ComplaintWorkflow.withdraw, Withdraw())
        for case in everyone:
            assert (await case.result()).stage is Stage.WITHDRAWN
        assert await listed(client, "Overdue = true" + ours, set()) == (set(), 0)
