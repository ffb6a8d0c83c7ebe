"""`xueji dev` (what `make run` calls): four processes, a clear message for a busy port,
data kept from one start to the next, everything stopped on Ctrl-C."""

import asyncio
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client, ScheduleActionStartWorkflow, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from api.web_ui import ALERT_FILTERS, filter_link
from core.settings import Settings
from core.temporal import data_converter
from domain.workdays import SHANGHAI
from store.db import engine_for, session_scope
from store.migrate import upgrade
from store.org import counts
from tests.support.local import WHOLE_SYSTEM, XUEJI, free_port
from tests.support.probe_workflows import DeadlineProbe, TimerProbe
from tests.support.waiting import eventually, eventually_blocking
from workflows.messages.activities import DeadlinePlan, PlanRequest
from xueji.demo import read_accounts
from xueji.dev import load_demo_tree_if_empty

pytestmark = WHOLE_SYSTEM


def _env(data_dir: Path, temporal: int, ui: int, api: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
    env.pop("DATABASE_URL", None)
    env.update(
        XUEJI_DATA_DIR=str(data_dir),
        XUEJI_TEMPORAL_ADDRESS=f"127.0.0.1:{temporal}",
        XUEJI_TEMPORAL_UI_PORT=str(ui),
        XUEJI_API_PORT=str(api),
        XUEJI_SMS_DEV_PORT=str(free_port()),
        XUEJI_SMTP_DEV_PORT=str(free_port()),
        XUEJI_WORKER_METRICS_PORT=str(free_port()),
        XUEJI_API_METRICS_PORT=str(free_port()),
        XUEJI_OUTBOX_EVERY_SECONDS="5",
        XUEJI_TEMPORAL_TASK_QUEUE=f"xueji-{uuid.uuid4().hex[:8]}",
    )
    return env


RUNNING_CASES = 'ExecutionStatus = "Running" AND WorkflowType = "ComplaintWorkflow"'


TIMER_SECONDS = 10.0  # longer than stopping the system takes


async def _timer_started(handle: Any) -> None:
    """Wait until the probe's timer is in its history (the worker ran its first task)."""

    async def started() -> bool:
        async for event in handle.fetch_history_events():
            if event.HasField("timer_started_event_attributes"):
                return True
        return False

    await eventually(started, timeout=10, interval=0.1, failure="the probe never started its timer")


def _settings_of(env: dict[str, str]) -> dict[str, Any]:
    return {
        "temporal_address": env["XUEJI_TEMPORAL_ADDRESS"],
        "temporal_ui_port": int(env["XUEJI_TEMPORAL_UI_PORT"]),
    }


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([XUEJI, "dev"], env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_healthy(api: int, process: subprocess.Popen[bytes], log: Path) -> None:
    def healthy() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"http://127.0.0.1:{api}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    eventually_blocking(
        healthy,
        timeout=90,
        interval=0.5,
        failure=lambda: f"the local system never became healthy:\n{log.read_text()}",
    )


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=60)


def _port_free(port: int) -> bool:
    """No process listens on the port (as xueji dev checks it: TIME_WAIT does not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_busy_port_gives_a_clear_message(tmp_path: Path) -> None:
    api = free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", api))
        squatter.listen()
        result = subprocess.run(
            [XUEJI, "dev"],
            env=_env(tmp_path, free_port(), free_port(), api),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 1
    assert f"127.0.0.1:{api} 已被占用，API (XUEJI_API_PORT) 无法启动" in result.stderr
    assert not (tmp_path / "temporal.db").exists()


async def test_dev_runs_three_processes_keeps_data_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    temporal, ui, api = free_port(), free_port(), free_port()
    env = _env(tmp_path / "data", temporal, ui, api)
    log = tmp_path / "dev.log"
    probe_id = f"probe-{uuid.uuid4().hex[:8]}"

    first = _start(env, log)
    try:
        _wait_healthy(api, first, log)
        client = await Client.connect(f"127.0.0.1:{temporal}", data_converter=data_converter())
        # The real worker process answers the deadline activity: DESIGN §4's example.
        async with Worker(client, task_queue="probe", workflows=[DeadlineProbe]):
            result = await client.execute_workflow(
                DeadlineProbe.run,
                args=[
                    env["XUEJI_TEMPORAL_TASK_QUEUE"],
                    PlanRequest(
                        start=datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), working_days=3
                    ),
                ],
                id=probe_id,
                task_queue="probe",
            )
        assert result == DeadlinePlan(
            due=datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI),
            remind_at=datetime(2026, 10, 9, 23, 59, 59, tzinfo=SHANGHAI),
            estimated=False,
        )
        assert httpx.get(f"http://127.0.0.1:{ui}/", timeout=5).status_code == 200
        # The daily oversight digest's Schedule (督办日报), on the worker's task queue.
        digest_schedule = f"{env['XUEJI_TEMPORAL_TASK_QUEUE']}-oversight-digest"
        digest = await client.get_schedule_handle(digest_schedule).describe()
        assert isinstance(digest.schedule.action, ScheduleActionStartWorkflow)
        assert digest.schedule.action.task_queue == env["XUEJI_TEMPORAL_TASK_QUEUE"]
        assert f"督办日报:        定时任务 {digest_schedule} 每天 08:30" in log.read_text()

        # The demo: accounts of every role at four levels and of a school, and complaints filed
        # over HTTP.
        accounts = read_accounts(Path(env["XUEJI_DATA_DIR"]) / "demo-accounts.txt")
        assert len(accounts) == 26  # six roles at four levels, two at a school
        assert (Path(env["XUEJI_DATA_DIR"]) / "demo-accounts.txt").stat().st_mode & 0o777 == 0o600
        assert all(f"{a.username:<18} {a.password}" in log.read_text() for a in accounts.values())
        scenario = subprocess.run(
            [XUEJI, "demo", "scenario"], env=env, capture_output=True, text=True, timeout=120
        )
        assert scenario.returncode == 0, scenario.stderr
        stages = re.findall(
            r"^  (\d{8}[0-9A-Z]{7})  (\w+) +处理单位 (\d{6})", scenario.stdout, re.M
        )
        assert [(stage, unit) for _, stage, unit in stages] == [
            ("closed", "130102"),
            ("verification", "130100"),
            ("verify_issue", "000000"),
            ("referred", "130102"),
            ("disputed", "130102"),
        ]
        # Each complaint's public progress page, as its complainant would open it.
        line = r"^      投诉人查询进度: (\S+)\?tracking_no=(\w+)  查询码 (\d{6})$"
        progress = re.findall(line, scenario.stdout, re.M)
        assert len(progress) == len(stages)
        page, number, code = progress[0]
        form = httpx.get(f"{page}?tracking_no={number}", timeout=5)  # the number filled in
        assert f'value="{number}"' in form.text
        closed_page = httpx.post(page, data={"tracking_no": number, "code": code}, timeout=5)
        assert closed_page.status_code == 200
        assert "<td>已办结，处理结果已告知投诉人</td>" in closed_page.text
        assert "<td>您反映的问题已处理：学校已补办学籍接续手续。</td>" in closed_page.text
        assert f"http://127.0.0.1:{api}/track" in log.read_text()  # the banner names the page
        assert f"工作台:          http://127.0.0.1:{api}/console" in log.read_text()
        # Each complaint's page in the workbench, for the staff who follow it.
        pages = re.findall(r"^      工作台: (\S+)$", scenario.stdout, re.M)
        assert len(pages) == len(stages)
        signed_out = httpx.get(pages[0], timeout=5)
        assert signed_out.status_code == 303  # to the login, then back to the case
        assert signed_out.headers["location"].startswith("/console/login?next=/console/cases/")
        assert re.search(
            r"^  campaign-\w+  截止 \d{4}-\d\d-\d\d  已报送 130100  待报送 130102$",
            scenario.stdout,
            re.M,
        ), scenario.stdout
        # The notices leave with no command: the outbox schedule sends the complainants' by
        # SMS through the local gateway and the units' by mail to the local mail server, both
        # logging masked addresses only.
        queue = env["XUEJI_TEMPORAL_TASK_QUEUE"]
        assert f"通知发送:        定时任务 {queue}-outbox 每 5 秒一次" in log.read_text()

        async def delivered() -> bool:
            shown = log.read_text()
            return "[短信网关] 短信 → 139****2468：【学籍投诉】" in shown and "[邮件] " in shown

        await eventually(delivered, timeout=60, interval=1.0, failure=log.read_text)
        assert "13903112468" not in log.read_text()
        assert re.search(r"^\[邮件\] \w\*\*\*@\S+：【学籍投诉】\S+$", log.read_text(), re.M)
        schedule = await client.get_schedule_handle(f"{queue}-outbox").describe()
        assert schedule.info.num_actions >= 1
        # A backup while everything runs: the store and the dev server's own database.
        backups = tmp_path / "backups"
        made = subprocess.run(
            [XUEJI, "backup", "make", str(backups)], env=env, capture_output=True, text=True
        )
        assert made.returncode == 0, made.stderr
        [backup] = backups.iterdir()
        assert {path.name for path in backup.iterdir()} >= {"xueji.db", "temporal.db"}
        checked = subprocess.run(
            [XUEJI, "backup", "check", str(backup)], env=env, capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        refused = subprocess.run(
            [XUEJI, "backup", "restore", str(backup)], env=env, capture_output=True, text=True
        )
        assert refused.returncode == 1
        assert f"系统仍在运行（端口 127.0.0.1:{temporal}、" in refused.stderr
        # The alert board's links are in the banner, and the server accepts their queries.
        for _name, query in ALERT_FILTERS:
            assert filter_link(Settings(**_settings_of(env)), query) in log.read_text()
            await client.count_workflows(query)
        running = await client.count_workflows(RUNNING_CASES)
        # The case with a slip out, the Ministry's, the disputed one, and the closed one, whose
        # workflow waits through its follow-up (回访) and review (复核) period.
        assert running.count == 4

        # A timer that falls due while the system is stopped.
        timer_due = datetime.now(UTC) + timedelta(seconds=TIMER_SECONDS)
        async with Worker(client, task_queue="probe", workflows=[TimerProbe]):
            timer = await client.start_workflow(
                TimerProbe.run,
                TIMER_SECONDS,
                id=f"timer-{uuid.uuid4().hex[:8]}",
                task_queue="probe",
            )
            await _timer_started(timer)
    finally:
        assert _stop(first) == 0
    assert datetime.now(UTC) < timer_due  # stopped before the timer fell due
    assert "worker stopped" in log.read_text()
    first_log = log.read_text()
    sms_port, mail_port = int(env["XUEJI_SMS_DEV_PORT"]), int(env["XUEJI_SMTP_DEV_PORT"])
    assert all(_port_free(port) for port in (temporal, ui, api, sms_port, mail_port))

    time.sleep(max(0.0, (timer_due - datetime.now(UTC)).total_seconds()) + 1)
    second = _start(env, log)
    try:
        _wait_healthy(api, second, log)
        client = await Client.connect(f"127.0.0.1:{temporal}", data_converter=data_converter())
        back = datetime.now(UTC)
        async with Worker(client, task_queue="probe", workflows=[TimerProbe]):
            woke = await asyncio.wait_for(timer.result(), timeout=30)
        assert timer_due <= woke.astimezone(UTC) < back + timedelta(seconds=10)  # at once
        described = await client.get_workflow_handle(probe_id).describe()
        assert described.status == WorkflowExecutionStatus.COMPLETED
        assert described.close_time is not None
        assert described.close_time < datetime.now(UTC)
        again = await client.count_workflows(RUNNING_CASES)
        assert again.count == running.count  # every case still there, none doubled
    finally:
        assert _stop(second) == 0
    second_log = log.read_text()[len(first_log) :]
    assert "演示账号" not in second_log  # made once; passwords are shown only the first time
    assert not any(a.password in second_log for a in accounts.values())

    # The backup taken while it ran, restored: the system is back at that moment.
    restored = subprocess.run(
        [XUEJI, "backup", "restore", str(backup)], env=env, capture_output=True, text=True
    )
    assert restored.returncode == 0, restored.stderr
    third = _start(env, log)
    try:
        _wait_healthy(api, third, log)
        client = await Client.connect(f"127.0.0.1:{temporal}", data_converter=data_converter())
        assert (await client.count_workflows(RUNNING_CASES)).count == 4
        with pytest.raises(RPCError) as missing:  # started after the backup was taken
            await client.get_workflow_handle(timer.id).describe()
        assert missing.value.status == RPCStatusCode.NOT_FOUND
    finally:
        assert _stop(third) == 0


def test_malformed_address_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path, free_port(), free_port(), free_port())
    env["XUEJI_TEMPORAL_ADDRESS"] = "no-port-here"

    result = subprocess.run([XUEJI, "dev"], env=env, capture_output=True, text=True, timeout=30)

    assert result.returncode == 1
    assert "XUEJI_TEMPORAL_ADDRESS 格式应为 主机:端口" in result.stderr


def test_the_development_keys_stay_on_loopback(tmp_path: Path) -> None:
    env = _env(tmp_path, free_port(), free_port(), free_port())
    env["XUEJI_API_HOST"] = "0.0.0.0"

    result = subprocess.run([XUEJI, "dev"], env=env, capture_output=True, text=True, timeout=30)

    assert result.returncode == 1
    refusal = "XUEJI_PAYLOAD_KEYS 使用了公开的开发密钥，监听 0.0.0.0 时必须配置自己的密钥"
    assert refusal in result.stderr
    assert not (tmp_path / "xueji.db").exists()  # refused before anything started


def test_a_fresh_system_gets_the_demo_tree_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    upgrade(settings.store_url)

    assert load_demo_tree_if_empty(settings) is True
    assert load_demo_tree_if_empty(settings) is False  # an imported tree is never replaced
    engine = engine_for(settings)
    with session_scope(engine) as session:
        assert counts(session=session) == (342, 1363)
    engine.dispose()
