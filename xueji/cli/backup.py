"""`xueji backup`: backing up and restoring the local system's data."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from core.settings import get_settings
from xueji.cli.common import fail

app = typer.Typer(help="备份与恢复本地系统的数据（运行中也可备份）", no_args_is_help=True)


@app.command("make")
def backup_make(
    destination: Annotated[Path, typer.Argument(help="备份存放目录（其下新建带时间的子目录）")],
) -> None:
    """在系统运行时做一致的备份：业务数据库、Temporal 数据与工作日日历文件，附校验清单。"""
    from xueji.backup import BackupError, make_backup

    try:
        folder, skipped = make_backup(get_settings(), destination, datetime.now(UTC))
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"备份已写入 {folder}")
    for reason in skipped:
        typer.echo(f"  未包含：{reason}")
    typer.echo("  加密密钥不在备份中：请另行妥善保管，恢复时需要同一组密钥")


@app.command("restore")
def backup_restore(
    folder: Annotated[Path, typer.Argument(help="xueji backup make 写出的备份目录")],
) -> None:
    """用备份替换本地系统的数据（须先停止系统）；被替换的数据移到数据目录下保留，不删除。"""
    from xueji.backup import BackupError, restore_backup

    try:
        aside = restore_backup(get_settings(), folder, datetime.now(UTC))
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"已用备份 {folder} 恢复数据")
    typer.echo(f"  原有数据已移到 {aside}，确认恢复无误后可删除")
    typer.echo("  请用备份时的同一组加密密钥启动系统（make run）")


@app.command("check")
def backup_check(
    folder: Annotated[Path, typer.Argument(help="xueji backup make 写出的备份目录")],
) -> None:
    """核对备份：文件齐全、与清单一致、数据库完好。"""
    from xueji.backup import check_backup

    problems = check_backup(folder)
    if problems:
        raise fail("备份有问题：\n" + "\n".join(f"  {problem}" for problem in problems))
    typer.echo(f"备份完好：{folder}")
