"""The system's state (运行状态): what ops look at first when something seems wrong, in one look:
the store and whether its schema is current, Temporal, the workers polling the task queue, the
schedule that sends notifications, and what waits on people (overdue cases, unsent
notifications). No personal data is shown. `xueji status` prints it; the console's
/console/status and GET /api/status show it to the system administrator of the top unit. Each
look at Temporal is bounded, so a Temporal that is down or does not answer is named within
seconds rather than holding the page.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import HTTPException, status
from sqlalchemy import func, make_url
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.admin_scope import is_national
from api.security import Staff, has_role
from api.temporal_link import TemporalLink
from api.web_ui import alert_links, web_ui
from core.settings import Settings
from domain.roles import CASE_STAFF, Role
from domain.workdays import beijing_minute
from store.db import engine_for, make_engine
from store.migrate import alembic_config
from store.models import Case, OutboxRow

# A worker long-polls about once a minute when idle; one unseen for longer has stopped.
POLLED_WITHIN = timedelta(minutes=2)
# How long each look at Temporal may take (connecting, its health, the task queue's pollers).
ANSWER_WITHIN = 2.0  # seconds
# How long the look at a PostgreSQL store may take to connect, and each of its queries: an
# unreachable or stuck server is reported instead of holding the page for the driver's default.
STORE_WITHIN = 3  # seconds
OPS_ONLY = "只有最上级单位（教育部）的系统管理员可以查看系统运行状态"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: for information, neither good nor bad
    detail: str


def runs_the_system(session: Session, staff: Staff) -> bool:
    """Whether this person looks after the running system (运维): the system administrator of
    the top unit of the tree. The state is the whole installation's (every unit's overdue
    cases counted, the store's address, the workers' hosts), so no lower unit's administrator,
    and no security administrator or auditor (三员: running the system is the sysadmin's)."""
    return staff.role == Role.SYSADMIN and is_national(session, staff)


def check_runs_the_system(session: Session, staff: Staff) -> None:
    """403 naming who may, unless `runs_the_system`."""
    if not runs_the_system(session, staff):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=OPS_ONLY)


def uses_the_web_ui(staff: Staff, *, runs_system: bool) -> bool:
    """Whether the Web UI is of use to this person: the case staff of a bureau, who read the
    histories of their unit's cases there (the codec's readers, api/routes/codec.py), and ops,
    who watch the alert board."""
    return runs_system or has_role(staff, CASE_STAFF)


@dataclass(frozen=True)
class StatusReport:
    """What the status page and GET /api/status show."""

    checked_at: datetime
    checks: list[Check]
    web_ui: str  # the Web UI's page of the namespace
    alert_links: list[tuple[str, str]]  # (name, link) of the board's ready-made filters


async def status_report(settings: Settings, now: datetime, temporal: TemporalLink) -> StatusReport:
    """The checks and where the alert board is, as of `now`."""
    checks = await system_status(settings, now, temporal=temporal)
    return StatusReport(now, checks, web_ui(settings), alert_links(settings))


async def system_status(
    settings: Settings, now: datetime, *, temporal: TemporalLink | None = None
) -> list[Check]:
    """The checks, in the order ops read them; `temporal` is the caller's link (the API's,
    connected once), else a new one."""
    checks = await asyncio.to_thread(_store_checks, settings)
    link = temporal or TemporalLink(settings)
    try:
        async with asyncio.timeout(ANSWER_WITHIN):
            client = await link.client()
            await link.check()
    except (ConnectionError, TimeoutError) as exc:
        reason = (
            str(exc)
            or f"Temporal 服务 {settings.temporal_address} 在 {ANSWER_WITHIN:g} 秒内没有回应"
        )
        checks.append(Check("Temporal", False, reason))
        checks.append(Check("worker", False, "无法检查：Temporal 无法连接"))
        return checks
    address = f"{settings.temporal_address}，命名空间 {settings.temporal_namespace}"
    checks.append(Check("Temporal", True, address))
    for name, look in (
        ("worker", _worker_check(client, settings, now)),
        ("通知发送", _outbox_schedule(client, settings)),
    ):
        try:
            async with asyncio.timeout(ANSWER_WITHIN):
                checks.append(await look)
        except Exception as exc:  # whatever stops the look is what ops read: its first line
            reason = str(exc).splitlines()[0] if str(exc) else f"{ANSWER_WITHIN:g} 秒内没有回应"
            checks.append(Check(name, False, f"无法检查：{reason}"))
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
    engine = make_engine(_bounded(settings.store_url)) if sqlite is None else engine_for(settings)
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


def _bounded(url: str) -> str:
    """`url` with a connect timeout and a statement timeout of STORE_WITHIN seconds."""
    bounds = {
        "connect_timeout": str(STORE_WITHIN),
        "options": f"-c statement_timeout={STORE_WITHIN * 1000}",
    }
    return make_url(url).update_query_dict(bounds).render_as_string(hide_password=False)


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
    schedule_id = settings.outbox_schedule_id
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
