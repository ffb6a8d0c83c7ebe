"""E-mail delivery of the notification outbox.

The outbox table is the default notifier: every notice waits there and staff read it in the
system. With an SMTP server configured, `deliver_outbox` (run by `xueji notify send`) mails
each unsent row to the unit's published address, or to the complainant's address unsealed
from the registration for this one message.
"""

import logging
import smtplib
import ssl
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from enum import Enum, auto
from typing import Protocol

from google.protobuf.message import DecodeError
from sqlalchemy import Engine, update
from sqlmodel import Session, col, or_, select

from core.settings import Settings
from store.cases import registration
from store.models import OutboxRow, Unit
from store.sealing import Sealer

log = logging.getLogger(__name__)

NO_ADDRESS = "无邮箱地址"
UNREADABLE = "投诉人信息无法解密（请检查 XUEJI_STORE_KEYS）"

SUBJECT_PREFIX = "【学籍投诉】"
KIND_LABELS = {
    "registered": "已受理",
    "transferred": "转办告知",
    "referred": "告知热线",
    "passed_on": "转办",
    "assigned": "交办",
    "step": "待办",
    "slip_received": "收到单据",
    "slip_returned": "单据已反馈",
    "reminder": "临期提醒",
    "overdue": "超期督办",
    "escalated": "超期督办升级",
    "informed": "处理结果告知",
    "withdrawn": "投诉撤回",
    "campaign_opened": "人员信息报送通知",
    "campaign_reminder": "人员信息报送提醒",
    "campaign_overdue": "人员信息报送逾期",
}
OTHER_KIND_LABEL = "通知"
CLAIM_FOR = timedelta(minutes=10)  # how long a run holds a row it is sending


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str


class Notifier(Protocol):
    def send(self, mail: OutgoingMail) -> None:
        """Deliver one message or raise; the error's type and code are recorded, its text not."""


def subject_for(kind: str) -> str:
    """The Chinese subject line of a notice kind, e.g. "【学籍投诉】超期督办"."""
    return SUBJECT_PREFIX + KIND_LABELS.get(kind, OTHER_KIND_LABEL)


class SmtpNotifier:
    """Plain SMTP with optional STARTTLS and login; one connection a message."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        starttls: bool = False,
        username: str = "",
        password: str = "",
        *,
        timeout: float = 30.0,
    ) -> None:
        self._host, self._port, self._timeout = host, port, timeout
        self._sender, self._starttls = sender, starttls
        self._username, self._password = username, password

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmtpNotifier | None":
        """The configured notifier; None when `smtp_host` is empty (outbox only)."""
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )

    def send(self, mail: OutgoingMail) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to  # a CR or LF here raises ValueError: no header injection
        message["Subject"] = mail.subject  # RFC 2047 encoded when sent
        message["Date"] = formatdate(usegmt=True)
        # An explicit domain: make_msgid() would otherwise look up this host's FQDN.
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        message.set_content(mail.body, charset="utf-8", cte="base64")  # 7-bit safe
        with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            if self._starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self._username:
                smtp.login(self._username, self._password)
            smtp.send_message(message)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int
    no_address: int


class _Outcome(Enum):
    SENT = auto()
    FAILED = auto()
    NO_ADDRESS = auto()
    STILL_NO_ADDRESS = auto()


def deliver_outbox(
    engine: Engine, notifier: Notifier, sealer: Sealer, *, limit: int = 100
) -> DeliveryReport:
    """Mail up to `limit` unsent outbox rows, oldest first, and report what happened.

    Rows never tried come before rows that failed before, so a few undeliverable rows cannot
    hold back new ones. Each row is committed as soon as it is tried: a run that stops midway
    never sends a row twice (except the one row whose send and commit it fell between).
    A success sets `sent_at`; a failure counts an attempt and records a short reason without
    personal data, and is retried on the next run. A row without an address stays unsent
    with `last_error` "无邮箱地址"; later runs pass over it without counting it until the
    unit's (or complainant's) address appears.

    Runs may overlap (a slow run and the next cron minute): each row is claimed for
    CLAIM_FOR with a conditional UPDATE before it is sent, so only one run sends it; a claim
    left by a run that died expires and the row is tried again.
    """
    counts: Counter[_Outcome] = Counter()
    with Session(engine) as session:
        query = (
            select(OutboxRow.key)
            .where(col(OutboxRow.sent_at).is_(None))
            .where(OutboxRow.recipient_user == "")  # a person's copy is read in their inbox
            .order_by(col(OutboxRow.attempts), col(OutboxRow.created_at), col(OutboxRow.key))
        )
        for key in list(session.exec(query)):
            if counts.total() >= limit:
                break
            if not _claim(session, key):
                continue  # sent meanwhile, or another run is sending it
            row = session.get(OutboxRow, key)
            if row is None:
                continue
            outcome = _deliver_row(session, row, notifier, sealer)
            row.claimed_until = None
            session.add(row)
            session.commit()
            if outcome is not _Outcome.STILL_NO_ADDRESS:
                counts[outcome] += 1
    return DeliveryReport(
        sent=counts[_Outcome.SENT],
        failed=counts[_Outcome.FAILED],
        no_address=counts[_Outcome.NO_ADDRESS],
    )


def _claim(session: Session, key: str) -> bool:
    """Hold the unsent row for this run (committed at once); False when it is sent already or
    another run holds it."""
    now = datetime.now(UTC)
    claimed = session.execute(
        update(OutboxRow)
        .where(col(OutboxRow.key) == key)
        .where(col(OutboxRow.sent_at).is_(None))
        .where(or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) < now))
        .values(claimed_until=now + CLAIM_FOR)
    )
    session.commit()
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def _deliver_row(session: Session, row: OutboxRow, notifier: Notifier, sealer: Sealer) -> _Outcome:
    """Try one row and change it to match; the caller commits."""
    try:
        address = recipient_address(session, row, sealer)
    except (ValueError, DecodeError):  # DecryptionError is a ValueError: a missing store key
        return _failed(row, UNREADABLE)
    if not address:
        if row.last_error == NO_ADDRESS:
            return _Outcome.STILL_NO_ADDRESS
        row.last_error = NO_ADDRESS
        return _Outcome.NO_ADDRESS
    try:
        body = sealer.open(row.sealed_text) if row.sealed_text is not None else row.text
    except (ValueError, DecodeError):
        return _failed(row, UNREADABLE)
    mail = OutgoingMail(to=address, subject=subject_for(row.kind), body=str(body))
    try:
        notifier.send(mail)
    except Exception as exc:  # any notifier's failure is the row's, never the run's
        return _failed(row, failure_reason(exc))
    row.attempts += 1
    row.sent_at = datetime.now(UTC)
    row.last_error = ""
    return _Outcome.SENT


def _failed(row: OutboxRow, reason: str) -> _Outcome:
    row.attempts += 1
    row.last_error = reason
    log.warning("outbox row %s not sent: %s", row.key, reason)  # key: case, notice, unit code
    return _Outcome.FAILED


def recipient_address(session: Session, row: OutboxRow, sealer: Sealer) -> str:
    """The unit's published e-mail, or the complainant's from the sealed registration; "" when
    there is none (schools have no address in the tree)."""
    if row.to_complainant:
        registered = registration(session, row.case_id, sealer)
        return registered.complainant.email.strip() if registered else ""
    unit = session.get(Unit, row.recipient_unit)
    return unit.email.strip() if unit else ""


def failure_reason(exc: BaseException) -> str:
    """The error's type and SMTP code only: server replies and messages may quote the address."""
    codes: list[int] = []
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
    elif isinstance(exc, smtplib.SMTPResponseException):
        codes = [exc.smtp_code]
    return " ".join(["发送失败：" + type(exc).__name__, *map(str, codes)])
