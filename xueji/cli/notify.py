"""`xueji notify`: the outbox of notices."""

from typing import Annotated

import typer

from core.settings import get_settings
from xueji.cli.common import fail, migrated_store

app = typer.Typer(help="通知（邮件发件箱）", no_args_is_help=True)


@app.command("send")
def notify_send(
    limit: Annotated[int, typer.Option(help="本次最多处理的通知条数", min=1)] = 100,
) -> None:
    """把发件箱中尚未发送的通知通过邮件发出（每条只发一次），并显示结果。"""
    from activities.notify import SmtpNotifier, deliver_outbox
    from store.sealing import Sealer

    settings = get_settings()
    notifier = SmtpNotifier.from_settings(settings)
    if notifier is None:
        raise fail(
            "未配置邮件服务器，无法发送：请设置 XUEJI_SMTP_HOST（及 XUEJI_SMTP_PORT 等）。"
            "通知仍保存在发件箱中，可在系统内查看"
        )
    with migrated_store(settings) as engine:
        report = deliver_outbox(engine, notifier, Sealer(settings.store_keys), limit=limit)
    typer.echo(
        f"已发送 {report.sent} 条，失败 {report.failed} 条，无邮箱地址 {report.no_address} 条"
    )
