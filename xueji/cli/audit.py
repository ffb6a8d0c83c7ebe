"""`xueji audit`: the tamper-evident audit log."""

from pathlib import Path
from typing import Annotated

import typer

from core.settings import get_settings
from xueji.cli.common import fail, store_session

app = typer.Typer(help="审计日志（防篡改）", no_args_is_help=True)


@app.command("verify")
def audit_verify() -> None:
    """逐条校验审计日志的哈希链；完整则退出码 0，否则指出第一条被篡改的记录，退出码 1。"""
    from domain.workdays import SHANGHAI
    from store import audit
    from store.models import AuditRecord

    with store_session(get_settings()) as session:
        broken = audit.verify(session=session)
        if broken is None:
            typer.echo(f"审计日志完整，共 {audit.count(session=session)} 条")
            return
        record = session.get(AuditRecord, broken)
        assert record is not None
        at = record.at.astimezone(SHANGHAI).isoformat(timespec="seconds")
        raise fail(
            f"审计日志已被篡改：第 {record.seq} 条（时间 {at}，操作 {record.action}）校验未通过，"
            "该条或其前一条记录被修改、插入或删除"
        )


@app.command("export")
def audit_export(
    file: Annotated[Path, typer.Argument(help="导出的 CSV 文件（UTF-8，可用 Excel 打开）")],
) -> None:
    """把审计日志全部导出为 CSV 文件（带 BOM 的 UTF-8，Excel 可直接打开）。"""
    import csv

    from store import audit

    rows = 0
    with (
        store_session(get_settings()) as session,
        file.open("w", encoding="utf-8-sig", newline="") as out,
    ):
        writer = csv.writer(out)
        for row in audit.export(session=session):
            writer.writerow([audit.csv_safe(cell) for cell in row])
            rows += 1
    typer.echo(f"已导出 {rows - 1} 条审计记录 -> {file}")
