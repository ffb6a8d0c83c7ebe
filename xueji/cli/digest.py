"""`xueji digest`: the daily oversight digest (督办日报)."""

import typer

from core.settings import get_settings
from xueji.cli.common import fail

app = typer.Typer(help="督办日报（Temporal Schedule）", no_args_is_help=True)


@app.command("schedule")
def digest_schedule() -> None:
    """创建（或更新）督办日报的 Temporal Schedule：每天 08:30（北京时间）运行，非工作日不发送。"""
    import asyncio

    from core.temporal import connect_with_retry
    from xueji.digest_schedule import SCHEDULE_ID, ensure_digest_schedule

    settings = get_settings()

    async def run() -> bool:
        client = await connect_with_retry(settings, attempts=30)
        return await ensure_digest_schedule(client, settings.temporal_task_queue)

    try:
        created = asyncio.run(run())
    except ConnectionError:
        raise fail(f"Temporal 服务 {settings.temporal_address} 无法连接，督办日报未设置") from None
    typer.echo(f"督办日报 Schedule {SCHEDULE_ID} 已{'创建' if created else '更新'}")
