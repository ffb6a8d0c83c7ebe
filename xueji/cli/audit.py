"""`xueji audit`: the tamper-evident audit log."""

from pathlib import Path
from typing import Annotated

import typer

from core.keys import AuditKeys
from core.settings import get_settings
from xueji.cli.common import fail, store_session

app = typer.Typer(help="审计日志（防篡改）", no_args_is_help=True)


@app.command("verify")
def audit_verify(
    heads: Annotated[
        list[Path] | None,
        typer.Option(
            "--heads",
            help="导出的链头文件（可多次指定，如运到别处保存的副本）；默认 XUEJI_AUDIT_HEADS",
        ),
    ] = None,
) -> None:
    """逐条校验审计日志的链（HMAC），并核对链经过每个导出的链头；完整则退出码 0，否则指出第一条
    未通过的记录及原因，退出码 1。"""
    from domain.workdays import SHANGHAI
    from store import audit, audit_chain, audit_heads
    from store.models import AuditRecord

    settings = get_settings()
    exported = []
    for path in heads or [settings.audit_heads_path]:
        if not heads and not path.exists():
            typer.secho(
                f"未找到链头文件 {path}：只校验数据库中的链，无法发现末尾的记录被删除",
                fg=typer.colors.YELLOW,
                err=True,
            )
            continue
        try:
            exported += audit_heads.read_heads(path)
        except audit_heads.HeadsFileError as exc:
            raise fail(str(exc)) from None
    keys = AuditKeys(settings.audit_keys)
    with store_session(settings) as session:
        broken = audit_chain.verify(session=session, keys=keys, heads=exported)
        if broken is None:
            typer.echo(
                f"审计日志完整，共 {audit.count(session=session)} 条，"
                f"与 {len(exported)} 个导出的链头一致"
            )
            return
        record = session.get(AuditRecord, broken.seq)
        if record is None:
            raise fail(f"审计日志已被篡改：第 {broken.seq} 条：{broken.reason}")
        at = record.at.astimezone(SHANGHAI).isoformat(timespec="seconds")
        raise fail(
            f"审计日志已被篡改：第 {record.seq} 条（时间 {at}，操作 {record.action}）"
            f"校验未通过：{broken.reason}"
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
