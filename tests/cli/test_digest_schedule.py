"""The daily oversight digest's Temporal Schedule (督办日报) on the dev server, as `xueji dev`
and the compose file's `schedules` service create it (`xueji schedules ensure`): every day at
08:30 Beijing time, starting a DigestWorkflow; made again, it keeps an operator's pause."""

import uuid
from pathlib import Path

from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from domain.workdays import SHANGHAI
from xueji.schedules import digest_schedule_id, ensure_schedules


async def test_the_schedule_runs_every_day_at_half_past_eight_in_beijing(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = dev_server.client
    queue = f"q-digest-{uuid.uuid4().hex[:8]}"
    settings = Settings(data_dir=tmp_path, temporal_task_queue=queue)
    made = {e.schedule_id: e.created for e in await ensure_schedules(client, settings)}
    assert made == {f"{queue}-outbox": True, f"{queue}-oversight-digest": True}
    assert digest_schedule_id(Settings(data_dir=tmp_path)) == "xueji-oversight-digest"
    handles = [client.get_schedule_handle(schedule_id) for schedule_id in made]
    handle = client.get_schedule_handle(f"{queue}-oversight-digest")
    try:
        described = await handle.describe()
        assert described.schedule.spec.time_zone_name == "Asia/Shanghai"
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("DigestWorkflow", queue)
        coming = [moment.astimezone(SHANGHAI) for moment in described.info.next_action_times]
        assert coming and all((m.hour, m.minute, m.second) == (8, 30, 0) for m in coming)
        assert len({m.date() for m in coming}) == len(coming)  # one a day, weekends included

        await handle.pause(note="节前暂停")
        again = {e.schedule_id: e.created for e in await ensure_schedules(client, settings)}
        assert set(again.values()) == {False}
        state = (await handle.describe()).schedule.state
        assert state.paused and state.note == "节前暂停"
    finally:
        for each in handles:
            await each.delete()
