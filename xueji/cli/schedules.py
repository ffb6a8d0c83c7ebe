"""`xueji schedules`: the Temporal Schedules of the system (xueji/schedules.py)."""

import asyncio

import typer

from core.settings import get_settings
from xueji.cli.common import fail

app = typer.Typer(
    help="定时任务（Temporal Schedule，可在 Web UI 中查看、暂停）", no_args_is_help=True
)


@app.command("ensure")
def schedules_ensure() -> None:
    """创建或更新系统的定时任务（每分钟发送发件箱中的通知）；已暂停的保持暂停。"""
    from core.temporal import connect
    from xueji.schedules import ensure_schedules

    settings = get_settings()

    async def ensure() -> list[str]:
        try:
            client = await connect(settings, timeout=10.0)
        except ConnectionError as exc:
            raise fail(f"无法连接 Temporal（{settings.temporal_address}）：{exc}") from None
        done = await ensure_schedules(client, settings)
        return [f"{'已创建' if e.created else '已更新'}定时任务 {e.schedule_id}" for e in done]

    for line in asyncio.run(ensure()):
        typer.echo(line)
