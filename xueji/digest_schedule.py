"""The Temporal Schedule of the daily oversight digest (督办日报): every day at 08:30 Beijing
time it starts a DigestWorkflow, whose activity sends nothing on a day that is not a working
day. Visible and pausable in the Temporal Web UI (Schedules); `xueji dev` and the compose
file's `digest-schedule` service create it with `xueji digest schedule`."""

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

SCHEDULE_ID = "xueji-oversight-digest"
WORKFLOW_ID = "xueji-oversight-digest-run"  # the Schedule adds the run's time to it
NOTE = "督办日报：每天 08:30（北京时间）运行，非工作日由工作日历判定后不发送"


def digest_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow("DigestWorkflow", id=WORKFLOW_ID, task_queue=task_queue),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(8)], minute=[ScheduleRange(30)])],
            time_zone_name="Asia/Shanghai",
        ),
        # A run missed while Temporal was down is made up within the working day, never twice.
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=8)
        ),
        state=ScheduleState(note=NOTE),
    )


async def ensure_digest_schedule(client: Client, task_queue: str) -> bool:
    """Create the Schedule, or bring an existing one to this definition (keeping whether an
    operator paused it). True when it was created."""
    wanted = digest_schedule(task_queue)
    try:
        await client.create_schedule(SCHEDULE_ID, wanted)
        return True
    except ScheduleAlreadyRunningError:
        pass

    def keep_pause(current: ScheduleUpdateInput) -> ScheduleUpdate:
        state = current.description.schedule.state
        wanted.state = ScheduleState(note=state.note if state.paused else NOTE, paused=state.paused)
        return ScheduleUpdate(schedule=wanted)

    await client.get_schedule_handle(SCHEDULE_ID).update(keep_pause)
    return False
