"""`xueji user`: staff accounts."""

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from core.settings import get_settings
from xueji.cli.common import fail, store_session

app = typer.Typer(help="工作人员账号", no_args_is_help=True)


@app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名（3 至 32 位字母、数字或 _ . -）")],
    unit: Annotated[
        str,
        typer.Option(help="所属单位代码（6 位）或学校标识码（10 位，角色只能是 clerk 或 handler）"),
    ],
    role: Annotated[
        str, typer.Option(help="角色：clerk、handler、leader、sysadmin、secadmin、auditor")
    ],
    name: Annotated[str, typer.Option(help="姓名；默认同用户名")] = "",
    password_stdin: Annotated[bool, typer.Option(help="从标准输入读取密码（一行）")] = False,
) -> None:
    """创建工作人员账号（第一个系统管理员即由此创建）；密码须符合口令策略。"""
    from store.accounts import AccountError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    try:
        with store_session(get_settings()) as session:
            create_user(
                session=session,
                username=username,
                unit_code=unit,
                role=role,
                password=password,
                display_name=name,
                now=datetime.now(UTC),
            )
    except AccountError as exc:
        raise fail("账号未创建：" + "；".join(exc.reasons)) from None
    typer.echo(f"已创建账号 {username}（单位 {unit}，角色 {role}）")
