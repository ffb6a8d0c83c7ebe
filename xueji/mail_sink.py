"""`python -m xueji.mail_sink`: the local mail server of `xueji dev`, a real SMTP server
(aiosmtpd) on 127.0.0.1:XUEJI_SMTP_DEV_PORT that takes every message the outbox sends and
delivers it nowhere. Each is printed as one line: the recipient masked (z***@example.com) and
the subject, which holds the notice's kind only; the body, which may name people, never.
"""

import email
import email.policy
import signal
import sys
import threading
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller

from domain.ids import mask_email


class _Printer:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for recipient in envelope.rcpt_tos:
            print(f"[邮件] {mask_email(recipient)}：{message['Subject']}", flush=True)
        return "250 OK"


def main() -> None:
    from core.settings import get_settings

    settings = get_settings()
    stopped = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    controller = Controller(_Printer(), hostname="127.0.0.1", port=settings.smtp_dev_port)
    controller.start()
    print(
        f"[邮件] 本地邮件服务器已启动：127.0.0.1:{settings.smtp_dev_port}（邮件不会真正发出）",
        flush=True,
    )
    stopped.wait()
    controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
