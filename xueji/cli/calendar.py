"""`xueji calendar`: the working-day calendar."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from core.settings import get_settings
from xueji.cli.common import fail, migrated_store, store_session

app = typer.Typer(help="工作日日历（法定节假日与调休）", no_args_is_help=True)


@app.command("load")
def calendar_load(
    file: Annotated[Path, typer.Argument(help="某一年的放假与调休安排 (JSON)", exists=True)],
) -> None:
    """载入某一年的官方放假调休安排；文件有误则拒绝并说明原因，原有安排不变。"""
    import getpass

    from domain.year_files import CalendarFileError, parse_year_file
    from store.calendar import save_calendar_year

    try:
        arrangement = parse_year_file(file)
    except CalendarFileError as exc:
        raise fail(f"日历文件被拒绝，原有安排不变:\n{exc}") from None
    with store_session(get_settings()) as session:
        by = f"xueji calendar load ({getpass.getuser()})"
        save_calendar_year(session, arrangement, loaded_by=by, now=datetime.now(UTC))
    typer.echo(
        f"已载入 {arrangement.year} 年安排：{len(arrangement.holidays)} 个放假日、"
        f"{len(arrangement.workdays)} 个调休上班日，已存入数据库，各 worker 与 API 随即采用"
    )
    _retime()


@app.command("retime")
def calendar_retime() -> None:
    """通知所有运行中的案件按当前工作日安排重新计算期限（calendar load 会自动执行）。"""
    _retime()


def _retime() -> None:
    import asyncio

    from temporalio.service import RPCError

    from api.calendar_years import RETIME_HINT, retime_running_cases
    from api.schemas.calendar import Retiming
    from core.temporal import connect

    settings = get_settings()

    async def run() -> Retiming:
        client = await connect(settings, timeout=3.0)
        return await retime_running_cases(client)

    try:
        report = asyncio.run(run())
    except (ConnectionError, RPCError):
        raise fail(
            f"Temporal 服务 {settings.temporal_address} 无法连接，运行中的案件尚未重新计算期限；"
            + RETIME_HINT
        ) from None
    typer.echo(f"已通知 {report.signalled} 件运行中的案件重新计算期限")
    if report.failed:
        raise fail(f"{len(report.failed)} 件未能通知（{', '.join(report.failed)}）；" + RETIME_HINT)


@app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="年份")]) -> None:
    """显示某一年的数据来源（official 官方 / estimated 预计）与放假、调休日期。"""
    from api.calendar_years import year_view
    from store.calendar import StoreCalendar

    settings = get_settings()
    with migrated_store(settings) as engine:
        calendar = StoreCalendar(engine, settings.calendar_path)()
    typer.echo(json.dumps(year_view(calendar, year), ensure_ascii=False, indent=2))
