"""`xueji org`: the organisation tree."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from core.settings import get_settings
from xueji.cli.common import fail, store_session

app = typer.Typer(help="组织机构树（教育行政部门与学校）", no_args_is_help=True)


@app.command("import")
def org_import(
    units: Annotated[Path, typer.Argument(help="单位文件 (.csv 或 .json)", exists=True)],
    schools: Annotated[Path, typer.Argument(help="学校文件 (.csv 或 .json)", exists=True)],
) -> None:
    """导入组织机构树：全部记录无误才导入，有误则逐条报告文件与行号，数据库不变。"""
    from domain.orgtree import OrgTree, OrgTreeError
    from store.org import TreeInUseError, replace_tree

    try:
        tree = OrgTree.load(units, schools)
    except OrgTreeError as exc:
        raise fail(f"导入失败，数据库未作任何改动。共 {len(exc.errors)} 处错误:\n{exc}") from None
    try:
        with store_session(get_settings()) as session:
            unit_count, school_count = replace_tree(
                session=session, tree=tree, now=datetime.now(UTC)
            )
    except TreeInUseError as exc:
        raise fail(f"导入失败，数据库未作任何改动：{exc}") from None
    typer.echo(f"已导入 {unit_count} 个单位、{school_count} 所学校")
