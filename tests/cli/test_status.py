"""`xueji status`: the store and its schema, Temporal, the real worker polling its task queue,
and the overdue cases and unsent notifications, as ops read them at night."""

import os
import socket
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.command import downgrade
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from api.system_status import Check, system_status
from core.settings import Settings
from core.temporal import connect
from domain.records import CaseRecord
from domain.workdays import SHANGHAI
from store.db import make_engine, session_scope
from store.migrate import alembic_config, upgrade
from store.models import OutboxRow
from tests.support.case_support import T0, snapshot, write
from tests.support.local import XUEJI, free_port
from tests.support.stores import MIGRATED, copy_sqlite
from tests.support.waiting import eventually
from xueji.worker import build_worker

DUE = datetime(2030, 3, 7, 23, 59, 59, tzinfo=SHANGHAI)
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()  # the newest


def local_system(tmp_path: Path, dev_server: WorkflowEnvironment) -> Settings:
    settings = Settings(
        data_dir=tmp_path,
        database_url="",
        temporal_address=dev_server.client.service_client.config.target_host,
        temporal_task_queue=f"status-{uuid.uuid4().hex[:8]}",
        smtp_host="mail.example.test",
    )
    assert settings.store_file is not None
    copy_sqlite(MIGRATED, settings.store_file)
    return settings


def fill(engine: Engine) -> None:
    """Two overdue cases, one on time, one closed late; two unsent notices, one that failed."""
    for handling, due, overdue, outcome in (
        ("130102", DUE, True, ""),
        ("130104", DUE + timedelta(days=2), True, ""),
        ("130105", DUE + timedelta(days=9), False, ""),
        ("130107", DUE - timedelta(days=9), True, "closed"),
    ):
        case = snapshot(handling, due=due, overdue=overdue, outcome=outcome)
        write(engine, CaseRecord(complaint_id=f"c-{handling}", case=case))
    with session_scope(engine) as session:
        for key, attempts, sent in (("n-1", 0, None), ("n-2", 2, None), ("n-3", 1, T0)):
            session.add(
                OutboxRow(
                    key=key,
                    case_id="c-130102",
                    kind="overdue",
                    recipient_unit="130102",
                    text="超期督办",
                    created_at=T0 + timedelta(hours=int(key[-1])),
                    sent_at=sent,
                    attempts=attempts,
                    last_error="SMTP 450" if attempts else "",
                )
            )


async def test_status_names_each_part_and_what_waits_on_people(
    tmp_path: Path, dev_server: WorkflowEnvironment
) -> None:
    settings = local_system(tmp_path, dev_server)
    engine = make_engine(settings.store_url)
    fill(engine)
    store = f"SQLite {tmp_path / 'xueji.db'}"
    address = f"{settings.temporal_address}，命名空间 default"
    queue = settings.temporal_task_queue

    checks = await system_status(settings, datetime.now(UTC))

    assert checks[:2] == [
        Check("业务数据库", True, f"{store}，结构为最新版本（{HEAD}）"),
        Check("超期案件", None, "2 件，最早的期限 2030-03-07 23:59（北京时间）"),
    ]
    assert checks[2:] == [
        Check(
            "待发通知",
            None,
            "2 条，最早 2030-03-04 10:00 生成，1 条曾发送失败（最早一条的原因：SMTP 450）",
        ),
        Check("Temporal", True, address),
        Check(
            "worker",
            False,
            f"两分钟内没有 worker 轮询任务队列 {queue}：请启动 worker（xueji worker）",
        ),
        Check("通知发送", False, f"定时任务 {queue}-outbox 不存在：请运行 xueji schedules ensure"),
    ]

    client = await connect(settings)
    setup = subprocess.run(
        [XUEJI, "schedules", "ensure"], env=_env(settings), capture_output=True, text=True
    )
    assert setup.stdout.splitlines() == [
        f"已创建定时任务 {queue}-outbox",
        f"已创建定时任务 {queue}-oversight-digest",
    ], setup.stderr
    async with build_worker(client, settings):
        seen: list[Check] = []

        async def worker_seen() -> list[Check] | None:  # the worker's first polls reach the server
            checks = await system_status(settings, datetime.now(UTC))
            seen[:] = checks
            return checks if checks[-2].ok else None

        checks = await eventually(worker_seen, timeout=10, interval=0.2, failure=lambda: str(seen))
        assert checks[-2] == Check("worker", True, f"1 个在轮询任务队列 {queue}：{client.identity}")
        command = subprocess.run(
            [XUEJI, "status"], env=_env(settings), capture_output=True, text=True, timeout=60
        )
    for schedule in ("outbox", "oversight-digest"):
        await client.get_schedule_handle(f"{queue}-{schedule}").delete()
    engine.dispose()

    assert command.returncode == 0, command.stderr
    assert command.stdout.splitlines() == [
        f"[正常] 业务数据库：{store}，结构为最新版本（{HEAD}）",
        "[信息] 超期案件：2 件，最早的期限 2030-03-07 23:59（北京时间）",
        "[信息] 待发通知：2 条，最早 2030-03-04 10:00 生成，1 条曾发送失败"
        "（最早一条的原因：SMTP 450）",
        f"[正常] Temporal：{address}",
        f"[正常] worker：1 个在轮询任务队列 {queue}：{client.identity}",
        f"[正常] 通知发送：定时任务 {queue}-outbox 每 60 秒运行",
    ]


async def test_on_either_store_an_old_schema_and_a_missing_server_are_named(
    store_url: str, tmp_path: Path
) -> None:
    away = Settings(
        data_dir=tmp_path,
        database_url=store_url,
        temporal_address=f"127.0.0.1:{free_port()}",
        smtp_host="mail.example.test",
    )
    upgrade(store_url)
    engine = make_engine(store_url)
    fill(engine)
    engine.dispose()

    checks = await system_status(away, datetime.now(UTC))

    assert [(check.name, check.ok) for check in checks] == [
        ("业务数据库", True),
        ("超期案件", None),
        ("待发通知", None),
        ("Temporal", False),
        ("worker", False),
    ]
    assert checks[0].detail.endswith(f"结构为最新版本（{HEAD}）")
    assert checks[1].detail == "2 件，最早的期限 2030-03-07 23:59（北京时间）"
    assert checks[2].detail.startswith("2 条，最早 2030-03-04 10:00 生成，1 条曾发送失败")
    assert checks[3].detail.startswith(f"Temporal 服务 {away.temporal_address} 无法连接")

    downgrade(alembic_config(store_url), "0013_calendar_years")  # as an older version left it
    [store, *_] = await system_status(away, datetime.now(UTC))

    assert store.name == "业务数据库" and store.ok is False
    assert store.detail.endswith(
        f"结构版本 0013_calendar_years，最新为 {HEAD}：请运行 xueji db upgrade"
    )


def test_the_command_fails_on_a_store_that_is_not_there(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "elsewhere", temporal_address=f"127.0.0.1:{free_port()}"
    )

    command = subprocess.run(
        [XUEJI, "status"], env=_env(settings), capture_output=True, text=True, timeout=60
    )

    assert command.returncode == 1
    lines = command.stdout.splitlines()
    assert lines[0] == (
        f"[异常] 业务数据库：SQLite {tmp_path / 'elsewhere' / 'xueji.db'} 不存在："
        "XUEJI_DATA_DIR 或 DATABASE_URL 是否正确？"
    )
    assert lines[1].startswith(
        f"[异常] Temporal：Temporal 服务 {settings.temporal_address} 无法连接"
    )
    assert lines[2:] == ["[异常] worker：无法检查：Temporal 无法连接"]
    assert not (tmp_path / "elsewhere").exists()  # looking created nothing


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
    env.pop("DATABASE_URL", None)
    env.update(
        XUEJI_DATA_DIR=str(settings.data_dir),
        XUEJI_TEMPORAL_ADDRESS=settings.temporal_address,
        XUEJI_TEMPORAL_TASK_QUEUE=settings.temporal_task_queue,
        XUEJI_SMTP_HOST=settings.smtp_host,
    )
    return env


async def test_a_postgresql_server_that_does_not_answer_is_named_within_the_bound(
    tmp_path: Path,
) -> None:
    # A port that takes connections (the kernel completes them) and never answers, as a hung
    # or overloaded server does: the look gives up after STORE_WITHIN seconds and says so.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        settings = Settings(
            data_dir=tmp_path,
            database_url=f"postgresql+psycopg://xueji@127.0.0.1:{port}/xueji",
            temporal_address=f"127.0.0.1:{free_port()}",
        )

        [store, *_] = await system_status(settings, T0)

    assert store.name == "业务数据库" and store.ok is False
    assert store.detail.startswith(f"postgresql+psycopg://xueji@127.0.0.1:{port}/xueji 无法访问：")
    assert "timeout" in store.detail
