"""Re-timing the running cases is durable work: the worker killed in the middle of it and the
Temporal server restarted, it resumes where it stopped, tells every case once and every first
deadline moves, and the API's metrics show its progress. The dev server, the worker, the API
and the store as `xueji dev` runs them."""

import signal
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from api.calendar_years import retiming_status, start_retiming
from core.temporal import connect_with_retry
from domain.process import Stage
from domain.workdays import SHANGHAI
from domain.year_files import parse_year_document
from store.calendar import save_calendar_year
from store.db import engine_for, session_scope
from store.migrate import upgrade
from tests.support.local import WHOLE_SYSTEM
from tests.support.local_system import System, local_settings
from tests.support.process_support import settled, start_case, state
from tests.support.waiting import eventually
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import Withdraw
from xueji.dev import load_demo_tree_if_empty

pytestmark = WHOLE_SYSTEM

CASES = 12
PAGE = 3  # four pages and the empty last one: the kill lands between or inside them
RECEIVED = datetime(2031, 3, 3, 10, 0, tzinfo=SHANGHAI)  # Monday: three working days to Thursday
MOVED = datetime(2031, 3, 7, 23, 59, 59, tzinfo=SHANGHAI)  # with Tuesday 4 March off


async def test_retiming_resumes_after_a_killed_worker_and_a_server_restart(
    tmp_path: Path,
) -> None:
    settings = local_settings(tmp_path / "data", metrics=True)
    upgrade(settings.store_url)
    load_demo_tree_if_empty(settings)
    system = System(settings, tmp_path)
    try:
        system.start("temporal")
        client = await connect_with_retry(settings)
        system.start("worker")
        system.start("api")
        cases = [await start_case(client, settings, received_at=RECEIVED) for _ in range(CASES)]
        for case in cases:
            await settled(case, Stage.VERIFY_ISSUE)

        async def listed() -> bool:  # visibility sees every case a moment later
            query = f'TaskQueue = "{settings.temporal_task_queue}" AND ExecutionStatus = "Running"'
            return (await client.count_workflows(query)).count == CASES

        await eventually(listed)
        engine = engine_for(settings)
        with session_scope(engine) as session:
            year = {"year": 2031, "holidays": ["2031-03-04"], "workdays": []}
            save_calendar_year(
                session, parse_year_document(year), loaded_by="test", now=datetime.now(UTC)
            )
        engine.dispose()

        queue = settings.temporal_task_queue
        await start_retiming(client, queue, datetime.now(UTC), page_size=PAGE)

        async def begun() -> bool:
            found = await retiming_status(client, queue)
            return found is not None and found.signalled > 0

        await eventually(begun, interval=0.05)
        system.stop("worker", signal.SIGKILL)
        system.stop("temporal", signal.SIGINT)
        system.start("temporal")
        client = await connect_with_retry(settings)
        system.start("worker")

        async def done() -> object:
            found = await retiming_status(client, queue)
            return found if found is not None and found.state == "done" else None

        finished = await eventually(done, timeout=60, interval=0.5)
        assert (finished.signalled, finished.closed, finished.failed) == (CASES, 0, [])
        url = f"http://127.0.0.1:{settings.api_metrics_port}/metrics"
        scraped = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "xueji_retiming_running 0.0" in scraped.splitlines()
        assert f'xueji_retiming_workflows{{outcome="signalled"}} {CASES}.0' in scraped
        for case in cases:
            handle = client.get_workflow_handle_for(ComplaintWorkflow.run, case.id)

            async def moved(handle: object = handle) -> bool:
                view = await state(handle)  # type: ignore[arg-type]
                return view.clocks[0].due == MOVED

            await eventually(moved, failure=f"{case.id}'s first deadline never moved")
            await handle.signal(ComplaintWorkflow.withdraw, Withdraw())
        assert "Traceback" not in system.log("worker")
    finally:
        system.supervisor.stop_all()
