"""`xueji stats`: the summary tables of the oversight figures (督办统计)."""

from typing import TYPE_CHECKING, Annotated

import typer

from core.settings import get_settings
from xueji.cli.common import fail, store_session

if TYPE_CHECKING:
    from store.summary import Key

app = typer.Typer(help="督办统计（汇总表）", no_args_is_help=True)

SHOWN = 20  # differences listed at most


@app.command("check")
def stats_check(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="不一致时按重新统计的结果重建汇总表")
    ] = False,
) -> None:
    """按案件、环节重新统计，与汇总表逐行比对；一致则退出码 0，否则列出不一致的行，退出码 1
    （加 --rebuild 则重建汇总表，退出码 0）。"""
    from store import summary

    with store_session(get_settings()) as session:
        differences = summary.check(session)
        if not differences:
            typer.echo("汇总表与重新统计的结果一致")
            return
        for mismatch in differences[:SHOWN]:
            typer.echo(f"{_key(mismatch.key)}：汇总表 {mismatch.held}，重新统计 {mismatch.counted}")
        if len(differences) > SHOWN:
            typer.echo(f"……共 {len(differences)} 行不一致")
        if rebuild:
            rows = summary.rebuild(session)
            typer.echo(f"已按重新统计的结果重建汇总表（{rows} 行）")
            return
    raise fail(f"汇总表与重新统计的结果有 {len(differences)} 行不一致（可加 --rebuild 重建）")


def _key(key: "Key") -> str:
    fields = key._asdict()
    return "，".join(f"{name}={value}" for name, value in fields.items())
