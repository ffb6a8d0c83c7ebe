"""The daily oversight digest's Temporal Schedule (督办日报) on the dev server, as `xueji dev`
and the compose file's `digest-schedule` service create it: every day at 08:30 Beijing time,
starting a DigestWorkflow; made again, it keeps an operator's pause."""

from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from domain.workdays import SHANGHAI
from xueji.digest_schedule import SCHEDULE_ID, ensure_digest_schedule


async def test_the_schedule_runs_every_day_at_half_past_eight_in_beijing(
    dev_server: WorkflowEnvironment,
) -> None:
    client = dev_server.client
    assert await ensure_digest_schedule(client, "q-digest") is True
    handle = client.get_schedule_handle(SCHEDULE_ID)
    try:
        described = await handle.describe()
        assert described.schedule.spec.time_zone_name == "Asia/Shanghai"
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("DigestWorkflow", "q-digest")
        coming = [moment.astimezone(SHANGHAI) for moment in described.info.next_action_times]
        assert coming and all((m.hour, m.minute, m.second) == (8, 30, 0) for m in coming)
        assert len({m.date() for m in coming}) == len(coming)  # one a day, weekends included

        await handle.pause(note="节前暂停")
        assert await ensure_digest_schedule(client, "q-digest") is False
        state = (await handle.describe()).schedule.state
        assert state.paused and state.note == "节前暂停"
    finally:
        await handle.delete()
