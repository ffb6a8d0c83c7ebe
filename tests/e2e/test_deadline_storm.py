"""The 23:59:59 deadline storm at a small N: a few running cases whose clocks fall due at the
same instant, and whose reminders come at the same instant before it, on the dev server with
its SQLite file and the worker as its own process. Every case is reminded, then marked overdue
in the store and in the search attributes, and every alert is in the outbox.

The worker is bench/storm_worker.py: the real one with plan_deadline set to fall due seconds
from now (a real deadline is days away at 23:59:59 Beijing; see bench/README.md). The plan
after the due time (the next escalation) is the real calendar's."""

import json
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlmodel import func, select

from core.settings import Settings
from core.temporal import connect_with_retry
from domain.process import Stage
from domain.workdays import SHANGHAI
from store.db import engine_for, session_scope
from store.models.cases import CaseClock, OutboxRow
from tests.support.local import WHOLE_SYSTEM
from tests.support.local_system import System, local_settings
from tests.support.process_support import polled, prepare_store, settled, start_case
from tests.support.waiting import eventually
from xueji.dev import child_env

pytestmark = WHOLE_SYSTEM

ROOT = Path(__file__).resolve().parents[2]
CASES = 4
CITY, PROVINCE = "130100", "130000"  # the handling unit of the test complaint, and its superior


def counts(settings: Settings) -> dict[str, object]:
    """What the store holds of the storm: clocks reminded and overdue, outbox rows by kind."""
    engine = engine_for(settings)
    try:
        with session_scope(engine) as session:
            clocks = list(session.exec(select(CaseClock).where(CaseClock.status == "open")))
            rows = session.exec(
                select(OutboxRow.kind, OutboxRow.recipient_unit, func.count())
                .where(OutboxRow.kind.in_(["reminder", "overdue"]))  # type: ignore[attr-defined]
                .group_by(OutboxRow.kind, OutboxRow.recipient_unit)
            )
            return {
                "reminded": sum(clock.reminded for clock in clocks),
                "overdue": sum(clock.overdue for clock in clocks),
                "outbox": {(kind, unit): count for kind, unit, count in rows},
                "clocks": [(c.due, c.remind_at, c.next_escalation_at) for c in clocks],
            }
    finally:
        engine.dispose()


async def test_every_case_is_reminded_then_overdue_in_store_visibility_and_outbox(
    tmp_path: Path,
) -> None:
    settings = local_settings(tmp_path / "data", metrics=True)
    settings.data_dir.mkdir(parents=True)
    prepare_store(settings)
    system = System(settings, tmp_path)
    try:
        system.start("temporal")
        client = await connect_with_retry(settings, pause=0.2, attempts=100)
        storm_file = tmp_path / "storm.json"
        env = child_env(settings) | {"XUEJI_BENCH_STORM_FILE": str(storm_file)}
        worker = [sys.executable, str(ROOT / "bench" / "storm_worker.py")]
        system.supervisor.start("worker", worker, env, log=tmp_path / "worker.log")
        # The storm is set once the worker polls (it reads the file when a case plans its
        # deadline): its start-up, seconds on a busy machine, is not the cases' set-up time.
        await eventually(lambda: polled(client, settings.temporal_task_queue), timeout=60)
        remind_at = (datetime.now(UTC) + timedelta(seconds=9)).replace(microsecond=0)
        due = remind_at + timedelta(seconds=3)
        storm_file.write_text(
            json.dumps({"remind_at": remind_at.isoformat(), "due": due.isoformat()})
        )
        received = datetime.now(SHANGHAI)
        cases = [await start_case(client, settings, received_at=received) for _ in range(CASES)]
        for case in cases:
            await settled(case, Stage.VERIFY_ISSUE)
        assert datetime.now(UTC) < remind_at, "the cases were not set up before the storm"
        assert counts(settings)["reminded"] == 0

        async def reminded() -> dict[str, object] | None:
            found = counts(settings)
            return found if found["reminded"] == CASES else None

        after_reminders = await eventually(reminded, timeout=20, interval=0.2)
        assert after_reminders["overdue"] == 0
        assert after_reminders["outbox"] == {("reminder", CITY): CASES}

        query = f'TaskQueue = "{settings.temporal_task_queue}" AND Overdue = true'

        async def overdue() -> dict[str, object] | None:
            found = counts(settings)
            shown = (await client.count_workflows(query)).count
            return found if found["overdue"] == CASES and shown == CASES else None

        after = await eventually(overdue, timeout=20, interval=0.2)
        assert datetime.now(UTC) >= due
        # An overdue alert at level 1 goes to the handling unit and the unit above it.
        assert after["outbox"] == {
            ("reminder", CITY): CASES,
            ("overdue", CITY): CASES,
            ("overdue", PROVINCE): CASES,
        }
        for clock_due, clock_remind_at, next_climb in after["clocks"]:  # type: ignore[attr-defined]
            assert (clock_due, clock_remind_at) == (due, remind_at)
            # The next climb is the real calendar's: days later, at the end of a working day.
            assert next_climb > due + timedelta(days=5)
            assert next_climb.astimezone(SHANGHAI).time() == time(23, 59, 59)
        assert "Traceback" not in (tmp_path / "worker.log").read_text()
    finally:
        system.supervisor.stop_all()
