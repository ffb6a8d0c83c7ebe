"""The xueji worker (`xueji worker`, `python worker.py`), configured by environment (core.settings).

It serves the workflows and activities on the task queue and stops cleanly on SIGTERM or
Ctrl-C, finishing the activities in hand. Logs carry ids and codes, never personal data.
"""

import asyncio
import compileall
import logging
import signal
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxRestrictions

import workflows
from activities.calendar import CalendarActivities
from activities.digest import DigestActivities
from activities.notify import OutboxActivities, SmtpNotifier
from activities.org import OrgActivities
from activities.retime import RetimeActivities
from activities.sms import SmsNotifier
from activities.store import StoreActivities
from core.settings import Settings, SettingsError, get_settings
from core.telemetry import (
    configure_logging,
    temporal_interceptors,
    tracer_provider,
    worker_runtime,
)
from core.temporal import connect_with_retry, end_process
from store.calendar import StoreCalendar
from store.db import engine_for, hand_over_the_interpreter_sooner
from store.sealing import Sealer
from store.tree import StoreTree
from workflows.campaign import CampaignWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.digest import DigestWorkflow
from workflows.outbox import OutboxDeliveryWorkflow
from workflows.retime import RetimeWorkflow
from workflows.slip import SlipWorkflow
from xueji.sandbox import LeanSandboxedWorkflowRunner

log = logging.getLogger("xueji.worker")

# The sandbox loads the module of a workflow class afresh for every workflow it starts or
# replays (so that no state leaks between them), and with it every module that one imports
# outside `workflow.unsafe.imports_passed_through()`. xueji's workflow modules hold constants
# only and import the rest passed through already; `domain` is pure rules, no I/O (the layer
# rule). Loaded once per process they save that work per case and per slip: about 6 % of the
# worker's CPU a path (bench/README.md). The sandbox's guard on the workflow code (no clock,
# random or I/O) is what it was; so is it with the lean runner (xueji/sandbox.py).
WORKFLOW_RUNNER = LeanSandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows", "domain")
)


def build_worker(client: Client, settings: Settings) -> Worker:
    """The worker with every workflow and activity of xueji, built from `settings`.

    `client` must use xueji's data converter (core.temporal.connect does).
    """
    engine = engine_for(settings)
    store_calendar = StoreCalendar(engine, settings.calendar_path)
    calendar = CalendarActivities(store_calendar)
    digest = DigestActivities(engine, store_calendar)
    org = OrgActivities(StoreTree(engine))
    sealer = Sealer(settings.store_keys)
    store = StoreActivities(engine, sealer, settings.lookup_key_bytes)
    mail, sms = SmtpNotifier.from_settings(settings), SmsNotifier.from_settings(settings)
    outbox = OutboxActivities(engine, sealer, mail, sms)
    retime = RetimeActivities(client, settings.temporal_task_queue)
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=[
            ComplaintWorkflow,
            SlipWorkflow,
            CampaignWorkflow,
            OutboxDeliveryWorkflow,
            RetimeWorkflow,
            DigestWorkflow,
        ],
        activities=[
            calendar.workday_window,
            calendar.plan_deadline,
            calendar.plan_campaign,
            org.route_complaint,
            org.unit_path,
            org.unit_paths,
            org.ruling_unit,
            store.record_case,
            store.record_campaign,
            outbox.deliver_notifications,
            retime.running_workflows,
            retime.signal_calendar_changed,
            digest.send_digest,
        ],
        graceful_shutdown_timeout=timedelta(seconds=20),
        workflow_runner=WORKFLOW_RUNNER,
    )


def cache_workflow_bytecode() -> None:
    """Write the bytecode of the workflow modules if it is missing.

    The sandbox imports a workflow's module afresh for every workflow it runs (so no state
    leaks between them); without bytecode on disk each of those imports compiles the source,
    a fifth of the worker's CPU per new case. Python writes bytecode itself unless told not
    to (PYTHONDONTWRITEBYTECODE, common in containers); a folder that cannot be written to
    is left as it is.
    """
    compileall.compile_dir(Path(workflows.__file__).parent, quiet=2)


def prepare_process() -> None:
    """What a worker process does once before it serves (the benches' in-process workers too):
    the workflow modules' bytecode written, threads switched sooner (see each)."""
    cache_workflow_bytecode()
    hand_over_the_interpreter_sooner()


async def run(settings: Settings) -> None:
    tracing = tracer_provider(settings, "xueji-worker")
    client = await connect_with_retry(
        settings, interceptors=temporal_interceptors(tracing), runtime=worker_runtime(settings)
    )
    worker = build_worker(client, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "worker serving task queue %s of namespace %s at %s",
        settings.temporal_task_queue,
        settings.temporal_namespace,
        settings.temporal_address,
    )
    async with worker:
        await stop.wait()
        log.info("stopping: finishing the tasks in hand")
    if tracing is not None:
        tracing.shutdown()  # the last spans sent
    log.info("worker stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = get_settings()
    except SettingsError as exc:
        log.error("refusing to start: %s", exc)
        raise SystemExit(1) from None
    configure_logging(settings)
    problems = settings.production_problems()
    if problems:
        for problem in problems:
            log.error("refusing to start: %s", problem)
        raise SystemExit(1)
    prepare_process()
    asyncio.run(run(settings))


if __name__ == "__main__":  # python -m xueji.worker, as `xueji dev` starts it
    main()
    end_process(0)
