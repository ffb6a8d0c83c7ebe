"""The Temporal Schedules of xueji, created or brought up to date by `xueji schedules ensure`
(run by `xueji dev` and by the compose file's setup service), never by cron: they show in the
Temporal Web UI (Schedules), where ops can pause, trigger or look into each run.

- `<task queue>-outbox`: every `XUEJI_OUTBOX_EVERY_SECONDS` (60), one delivery run of the
  notification outbox (workflows/outbox.py); a run still going when the next is due is not
  doubled (overlap: skip).
- `<task queue>-oversight-digest` (`xueji-oversight-digest`): every day at 08:30 Beijing time,
  the daily oversight digest (督办日报, workflows/digest.py), whose activity sends nothing on
  a day the working-day calendar says is not a working day; a run missed while Temporal was
  down is made up within eight hours, never twice.

Neither workflow takes an input: the Schedule appends each run's time to the workflow id, so
a payload bound to the id it was written for (core/codec.py) would be refused.
"""

from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from core.settings import Settings
from workflows.digest import DigestWorkflow
from workflows.outbox import OutboxDeliveryWorkflow

DIGEST_NOTE = "督办日报：每天 08:30（北京时间）运行，非工作日由工作日历判定后不发送"


@dataclass(frozen=True)
class Ensured:
    schedule_id: str
    created: bool  # False: it existed and was brought up to date (its paused state kept)


def outbox_schedule_id(settings: Settings) -> str:
    return settings.outbox_schedule_id


def outbox_schedule(settings: Settings) -> Schedule:
    every = timedelta(seconds=settings.outbox_every_seconds)
    return Schedule(
        action=ScheduleActionStartWorkflow(
            OutboxDeliveryWorkflow.run,
            id=outbox_schedule_id(settings),
            task_queue=settings.temporal_task_queue,
            execution_timeout=timedelta(minutes=10),
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=every),
    )


def digest_schedule_id(settings: Settings) -> str:
    return f"{settings.temporal_task_queue}-oversight-digest"


def digest_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DigestWorkflow.run,
            id=digest_schedule_id(settings),
            task_queue=settings.temporal_task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(8)], minute=[ScheduleRange(30)])],
            time_zone_name="Asia/Shanghai",
        ),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=8)
        ),
        state=ScheduleState(note=DIGEST_NOTE),
    )


async def ensure_schedules(client: Client, settings: Settings) -> list[Ensured]:
    """Create each schedule, or update one that exists to this release's definition."""
    return [
        await _ensure(client, outbox_schedule_id(settings), outbox_schedule(settings)),
        await _ensure(client, digest_schedule_id(settings), digest_schedule(settings)),
    ]


async def _ensure(client: Client, schedule_id: str, schedule: Schedule) -> Ensured:
    try:
        await client.create_schedule(schedule_id, schedule)
        return Ensured(schedule_id, created=True)
    except ScheduleAlreadyRunningError:
        pass

    def updated(existing: ScheduleUpdateInput) -> ScheduleUpdate:
        schedule.state = existing.description.schedule.state  # paused by ops stays paused
        return ScheduleUpdate(schedule=schedule)

    await client.get_schedule_handle(schedule_id).update(updated)
    return Ensured(schedule_id, created=False)
