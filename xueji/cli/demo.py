"""`xueji demo`: a demonstration over the local system's API."""

from typing import Annotated, Any
from urllib.parse import urlencode

import typer

from core.settings import get_settings
from xueji.cli.common import fail

app = typer.Typer(help="演示（本地系统）", no_args_is_help=True)


@app.command("scenario")
def demo_scenario(
    api_url: Annotated[
        str | None, typer.Option(help="API 地址，默认本地系统的 http://主机:端口")
    ] = None,
) -> None:
    """通过 API 登记几件演示投诉并推进到不同环节（先用 make run 启动本地系统）。"""
    import asyncio

    import httpx

    from api.web_ui import workflow_link
    from xueji.demo import DemoError, Filed, accounts_path, read_accounts, run_scenario

    settings = get_settings()
    base_url = api_url or f"http://{settings.api_host}:{settings.api_port}"

    async def scenario() -> tuple[list[Filed], dict[str, Any]]:
        async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as http:
            return await run_scenario(http, read_accounts(accounts_path(settings)), typer.echo)

    try:
        filed, campaign = asyncio.run(scenario())
    except httpx.TransportError:
        raise fail(f"连不上 API {base_url}：请先用 make run 启动本地系统") from None
    except DemoError as exc:
        raise fail(str(exc)) from None
    typer.echo("\n已登记的演示投诉：")
    for case in filed:
        typer.echo(
            f"  {case.tracking_no}  {case.stage:<13} 处理单位 {case.handling_unit}  {case.what}"
        )
        typer.echo(f"      工作台: {base_url}/console/cases/{case.complaint_id}")
        typer.echo(f"      {workflow_link(settings, case.complaint_id)}")
        query = urlencode({"tracking_no": case.tracking_no})
        typer.echo(f"      投诉人查询进度: {base_url}/track?{query}  查询码 {case.query_code}")
    reported = "、".join(u["unit"] for u in campaign["units"] if u["reported"])
    typer.echo("\n演示人员信息报送（附件3）：")
    typer.echo(
        f"  {campaign['id']}  截止 {campaign['due'][:10]}  已报送 {reported}  "
        f"待报送 {'、'.join(campaign['missing'])}"
    )
    typer.echo(f"      {workflow_link(settings, campaign['id'])}")
