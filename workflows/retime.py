"""RetimeWorkflow: telling every running case and campaign that the working-day calendar
changed (a year's official arrangement loaded), as durable work instead of inside the request
that loaded it.

It lists the running workflows page by page (visibility) and signals each page's workflows
`calendar_changed` (they re-compute their open deadlines and reminder times), keeping the
counts and where it stopped, so a worker or server restart resumes from the page it was on.
Its progress is the Query `progress`; `xueji calendar retime --status`, the calendar API and
the console show it. One runs at a time (the id is fixed per task queue): a new load starts
it again from the first page, since cases told before the new year was saved must hear again.
Signalling a case twice moves nothing the second time, so a page retried after a crash is
harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.activity_interfaces import RetimeActivityInterface
    from workflows.messages.activities import RunningPage, RunningRequest, SignalledPage

PAGE_SIZE = 200
PAGES_PER_RUN = 50  # then continue as new: the history stays short however many cases run
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)


@dataclass(kw_only=True)
class RetimeProgress:
    """Where a re-timing stands: the counts so far, and whether it is done."""

    started_at: datetime
    page_size: int = PAGE_SIZE
    state: str = "running"  # running, done
    signalled: int = 0
    closed: int = 0
    failed: list[str] = field(default_factory=list)
    pages: int = 0
    next_page_token: str = ""  # base64 of visibility's token; "": from the first page
    finished_at: datetime | None = None


@workflow.defn(name="RetimeWorkflow")
class RetimeWorkflow:
    def __init__(self) -> None:
        self._progress: RetimeProgress | None = None

    @workflow.run
    async def run(self, progress: RetimeProgress) -> RetimeProgress:
        self._progress = progress
        for _ in range(PAGES_PER_RUN):
            page: RunningPage = await workflow.execute_activity_method(
                RetimeActivityInterface.running_workflows,
                RunningRequest(page_token=progress.next_page_token, page_size=progress.page_size),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RETRY,
            )
            told: SignalledPage = await workflow.execute_activity_method(
                RetimeActivityInterface.signal_calendar_changed,
                page.workflow_ids,
                start_to_close_timeout=timedelta(minutes=5),
                # A worker that dies mid-page: the page is tried again on another at once.
                heartbeat_timeout=timedelta(seconds=10),
                retry_policy=RETRY,
            )
            progress.signalled += told.signalled
            progress.closed += told.closed
            progress.failed += told.failed
            progress.pages += 1
            if page.next_page_token is None:
                progress.state = "done"
                progress.finished_at = workflow.now()
                return progress
            progress.next_page_token = page.next_page_token
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(progress)

    @workflow.query
    def progress(self) -> RetimeProgress | None:
        return self._progress
