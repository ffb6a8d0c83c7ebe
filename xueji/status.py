"""`xueji status`: what ops look at first when something seems wrong, in one command: the store
and whether its schema is current, Temporal, the workers polling the task queue, the schedule
that sends notifications, and what waits on people (overdue cases, unsent notifications). No
personal data is shown.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, make_url
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from core.settings import Settings
from core.temporal import connect
from domain.workdays import beijing_minute
from store.db import engine_for
from store.migrate import alembic_config
from store.models import Case, OutboxRow
from xueji.schedules import outbox_schedule_id

# A worker long-polls about once a minute when idle; one unseen for longer has stopped.
POLLED_WITHIN = timedelta(minutes=2)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: for information, neither good nor bad
    detail: str


async def system_status(settings: Settings, now: datetime) -> list[Check]:
    """The checks, in the order ops read them."""
    checks = _store_checks(settings)
    try:
        client = await connect(settings, timeout=3.0)
    except ConnectionError as exc:
        checks.append(Check("Temporal", False, str(exc)))
        checks.append(Check("worker", False, "无法检查：Temporal 无法连接"))
        return checks
    address = f"{settings.temporal_address}，命名空间 {settings.temporal_namespace}"
    checks.append(Check("Temporal", True, address))
    checks.append(await _worker_check(client, settings, now))
    checks.append(await _outbox_schedule(client, settings))
    return checks


def _store_checks(settings: Settings) -> list[Check]:
    sqlite = settings.store_file
    if sqlite is None:
        where = make_url(settings.store_url).render_as_string(hide_password=True)
    else:
        where = f"SQLite {sqlite.absolute()}"
    if sqlite and not sqlite.is_file():
        return [
            Check("业务数据库", False, f"{where} 不存在：XUEJI_DATA_DIR 或 DATABASE_URL 是否正确？")
        ]
    engine = engine_for(settings)
    try:
        with Session(engine) as session:
            current = MigrationContext.configure(session.connection()).get_current_revision()
            newest = ScriptDirectory.from_config(
                alembic_config(settings.store_url)
            ).get_current_head()
            if current != newest:
                problem = (
                    f"{where}：结构版本 {current or '空'}，最新为 {newest}：请运行 xueji db upgrade"
                )
                return [Check("业务数据库", False, problem)]
            checks = [Check("业务数据库", True, f"{where}，结构为最新版本（{newest}）")]
            checks.append(_overdue(session))
            checks.append(_outbox(session, settings))
            return checks
    except Exception as exc:  # whatever stops the store is what ops need to read: its first line
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [Check("业务数据库", False, f"{where} 无法访问：{reason}")]
    finally:
        engine.dispose()


def _overdue(session: Session) -> Check:
    late = (col(Case.overdue).is_(True)) & (col(Case.outcome) == "")
    count, earliest = session.exec(select(func.count(), func.min(Case.due)).where(late)).one()
    if not count:
        return Check("超期案件", None, "没有")
    when = f"，最早的期限 {beijing_minute(earliest)}（北京时间）" if earliest else ""
    return Check("超期案件", None, f"{count} 件{when}")


def _outbox(session: Session, settings: Settings) -> Check:
    unsent = col(OutboxRow.sent_at).is_(None) & (col(OutboxRow.recipient_user) == "")
    query = select(func.count(), func.min(OutboxRow.created_at)).where(unsent)
    count, oldest = session.exec(query).one()
    if not settings.smtp_host and not settings.sms_url:
        return Check(
            "待发通知",
            None,
            f"{count} 条；未配置邮件服务器（XUEJI_SMTP_HOST）或短信网关（XUEJI_SMS_URL），"
            "通知只在发件箱",
        )
    if not count:
        return Check("待发通知", None, "没有")
    tried = (unsent, col(OutboxRow.attempts) > 0)
    failed = session.exec(select(func.count()).where(*tried)).one()
    detail = f"{count} 条，最早 {beijing_minute(oldest)} 生成，{failed} 条曾发送失败"
    if failed:
        latest = select(OutboxRow.last_error).where(*tried).order_by(col(OutboxRow.created_at))
        detail += f"（最早一条的原因：{session.exec(latest.limit(1)).one()}）"
    return Check("待发通知", None, detail)


async def _outbox_schedule(client: Client, settings: Settings) -> Check:
    """The Temporal Schedule that sends the outbox: there, running, and when it last ran."""
    schedule_id = outbox_schedule_id(settings)
    try:
        described = await client.get_schedule_handle(schedule_id).describe()
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return Check(
                "通知发送", False, f"定时任务 {schedule_id} 不存在：请运行 xueji schedules ensure"
            )
        raise
    if described.schedule.state.paused:
        return Check("通知发送", False, f"定时任务 {schedule_id} 已暂停：在 Temporal Web UI 中恢复")
    every = settings.outbox_every_seconds
    detail = f"定时任务 {schedule_id} 每 {every} 秒运行"
    recent = described.info.recent_actions
    if recent:
        detail += f"，最近一次 {beijing_minute(recent[-1].started_at)}"
    return Check("通知发送", True, detail)


async def _worker_check(client: Client, settings: Settings, now: datetime) -> Check:
    queue = settings.temporal_task_queue
    polling: list[set[str]] = []  # who polled for workflow tasks, who for activity tasks
    for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=settings.temporal_namespace,
                task_queue=TaskQueue(name=queue),
                task_queue_type=kind,
            )
        )
        polling.append(
            {
                poller.identity
                for poller in described.pollers
                if now - poller.last_access_time.ToDatetime(tzinfo=now.tzinfo) <= POLLED_WITHIN
            }
        )
    if not all(polling):
        return Check(
            "worker",
            False,
            f"两分钟内没有 worker 轮询任务队列 {queue}：请启动 worker（xueji worker）",
        )
    workers = sorted(set().union(*polling))
    return Check("worker", True, f"{len(workers)} 个在轮询任务队列 {queue}：{'、'.join(workers)}")
