"""`xueji notify`: the outbox of notices."""

from typing import Annotated

import typer

from core.settings import get_settings
from xueji.cli.common import fail, migrated_store

app = typer.Typer(help="通知（发件箱：邮件、短信）", no_args_is_help=True)


@app.command("send")
def notify_send(
    limit: Annotated[int, typer.Option(help="本次最多处理的通知条数", min=1)] = 100,
) -> None:
    """把发件箱中尚未发送的通知通过已配置的渠道发出（邮件、短信；每条只发一次），并显示结果。

    发给单位的通知用邮件；发给投诉人的通知，留有手机号且已配置短信网关时发短信，否则发邮件。
    """
    from activities.notify import SmtpNotifier, deliver_outbox
    from activities.sms import SmsNotifier
    from store.sealing import Sealer

    settings = get_settings()
    mail, sms = SmtpNotifier.from_settings(settings), SmsNotifier.from_settings(settings)
    if mail is None and sms is None:
        raise fail(
            "未配置邮件服务器或短信网关，无法发送：请设置 XUEJI_SMTP_HOST（及 XUEJI_SMTP_PORT 等）"
            "或 XUEJI_SMS_URL（及 XUEJI_SMS_ACCESS_KEY、XUEJI_SMS_SECRET）。"
            "通知仍保存在发件箱中，可在系统内查看"
        )
    channels = "、".join(name for name, on in (("邮件", mail), ("短信", sms)) if on is not None)
    with migrated_store(settings) as engine:
        report = deliver_outbox(engine, mail, Sealer(settings.store_keys), sms=sms, limit=limit)
    line = f"已发送 {report.sent} 条，失败 {report.failed} 条，无联系方式 {report.no_address} 条"
    if report.no_channel:
        line += f"，待配置渠道 {report.no_channel} 条"
    typer.echo(f"发送渠道：{channels}\n{line}")
