"""`xueji`: the operators' command line (typer). Each group of commands has its own module in
this package; this one assembles them, and holds the commands that run the system itself."""

import sys
from datetime import UTC, datetime
from typing import Annotated, NoReturn

import typer

from core.settings import SettingsError, get_settings
from xueji.cli import audit, backup, calendar, db, demo, keys, notify, org, schedules, stats, user
from xueji.cli.common import fail

app = typer.Typer(help="xueji 学籍投诉处理系统：运维命令", no_args_is_help=True)
app.add_typer(org.app, name="org")
app.add_typer(calendar.app, name="calendar")
app.add_typer(db.app, name="db")
app.add_typer(notify.app, name="notify")
app.add_typer(audit.app, name="audit")
app.add_typer(user.app, name="user")
app.add_typer(demo.app, name="demo")
app.add_typer(backup.app, name="backup")
app.add_typer(keys.app, name="keys")
app.add_typer(schedules.app, name="schedules")
app.add_typer(stats.app, name="stats")


def main() -> NoReturn:
    """The `xueji` command (the console script): `app` with a safe end, for the commands that
    connect to Temporal (`calendar load`, `calendar retime`, `worker`, `api`); see
    `core.temporal.end_process`."""
    from core.temporal import end_process

    try:
        app()
        code: object = 0
    except SystemExit as exited:
        code = exited.code
    except SettingsError as exc:  # each wrong variable and why, not a traceback
        code = str(exc)
    if not isinstance(code, int):  # None is success; anything else is a message
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    end_process(code)


@app.command()
def dev() -> None:
    """启动本地完整系统：Temporal 开发服务器、worker 与 API（make run 调用此命令）。"""
    from xueji.dev import DevError, run_dev

    try:
        code = run_dev(get_settings())
    except DevError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code=code)


@app.command()
def worker() -> None:
    """启动 worker（与 python worker.py 相同）。"""
    from xueji.worker import main as run_worker

    run_worker()


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="监听端口")] = None,
) -> None:
    """启动 HTTP API（uvicorn）。"""
    import uvicorn

    from core.telemetry import configure_logging

    settings = get_settings()
    listen = host or settings.api_host
    refusal = settings.exposure_refusal(listen)
    if refusal:
        raise fail(refusal)
    configure_logging(settings)
    # The app believes forwarded headers from XUEJI_TRUSTED_PROXIES itself (api/main.py), and
    # logs each request by its route template (api/metrics.py): uvicorn's access log would
    # write query strings, which may hold a searched phone number or a child's name.
    uvicorn.run(
        "api.main:app",
        host=listen,
        port=port or settings.api_port,
        proxy_headers=False,
        access_log=False,
        log_config=None,
    )


@app.command()
def status() -> None:
    """检查系统状态：数据库、Temporal、worker、超期案件与待发通知；有异常时退出码为 1。"""
    import asyncio

    from api.system_status import system_status

    checks = asyncio.run(system_status(get_settings(), datetime.now(UTC)))
    for check in checks:
        label = {True: "正常", False: "异常", None: "信息"}[check.ok]
        typer.echo(f"[{label}] {check.name}：{check.detail}")
    if any(check.ok is False for check in checks):
        raise typer.Exit(code=1)
