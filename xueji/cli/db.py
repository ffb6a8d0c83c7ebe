"""`xueji db`: the store's structure."""

import typer

from core.settings import get_settings

app = typer.Typer(help="数据库", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """把数据库结构升级到最新版本（Alembic 迁移）。"""
    from store.migrate import upgrade

    upgrade(get_settings().store_url)
    typer.echo("数据库已是最新结构")
