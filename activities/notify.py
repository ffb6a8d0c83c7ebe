"""Delivery of the notification outbox by e-mail and SMS.

The outbox table is the default notifier: every notice waits there and staff read it in the
system. `deliver_outbox` (run by `xueji notify send`) sends each unsent row by the channel
`route` picks among the configured ones: a unit's notices by e-mail to its published address;
the complainant's by SMS to their mobile number when they gave one and an SMS gateway is
configured (a parent reads a text message sooner than a mail), else by e-mail to their
address, both unsealed from the registration for this one message.
"""

import asyncio
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

import httpx
from google.protobuf.message import DecodeError
from sqlalchemy import Engine, update
from sqlmodel import Session, col, or_, select
from temporalio import activity

from activities.sms import OutgoingSms, SmsRefused, is_mobile, sms_for
from core.settings import Settings
from domain.ids import InvalidIdentifier, normalize_phone
from store.cases import registration
from store.models import Case, OutboxRow, Unit
from store.sealing import Sealer
from workflows.activity_interfaces import OutboxActivityInterface
from workflows.messages.activities import DeliveryReport

log = logging.getLogger(__name__)

NO_ADDRESS = "无邮箱地址"
NO_CONTACT = "投诉人未留手机号或邮箱"
NO_MAIL_SERVER = "未配置邮件服务器（XUEJI_SMTP_HOST）"
NO_SMS_GATEWAY = "未配置短信网关（XUEJI_SMS_URL）"
EMAIL, SMS = "email", "sms"  # the channels, as OutboxRow.channel records them
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


class SmsSender(Protocol):
    def send(self, sms: OutgoingSms) -> None:
        """Deliver one message or raise; the error's type and code are recorded, its text not."""


@dataclass(frozen=True)
class Contact:
    """Where a row's recipient can be reached: an e-mail address, a mobile number ("" each
    when there is none; a landline is no SMS number)."""

    email: str = ""
    mobile: str = ""


@dataclass(frozen=True)
class Route:
    """The channel a row goes by, or None with why it waits (its `last_error`)."""

    channel: str | None
    waiting: str = ""


def route(row: OutboxRow, contact: Contact, *, email: bool, sms: bool) -> Route:
    """The channel of one row, given the channels configured for this run.

    A unit is written to by e-mail. The complainant gets an SMS when they gave a mobile number
    and SMS is configured, else an e-mail when they gave an address and e-mail is configured;
    one message a notice, never both; a notice that asks for a channel (staff chose SMS or
    e-mail to tell the complainant the outcome) goes by that one only. A row no configured
    channel can take waits for the configuration (or the address) rather than failing.
    """
    if row.to_complainant and row.channel == SMS:  # asked for (告知 by SMS) or tried before
        return Route(SMS) if contact.mobile and sms else _waits_for_sms(contact)
    if row.to_complainant and row.channel == EMAIL:
        if contact.email and email:
            return Route(EMAIL)
        return Route(None, NO_MAIL_SERVER if contact.email else NO_CONTACT)
    if row.to_complainant and contact.mobile and sms:
        return Route(SMS)
    if contact.email and email:
        return Route(EMAIL)
    if row.to_complainant and contact.mobile:
        return Route(None, NO_SMS_GATEWAY)
    if contact.email:
        return Route(None, NO_MAIL_SERVER)
    return Route(None, NO_CONTACT if row.to_complainant else NO_ADDRESS)


def _waits_for_sms(contact: Contact) -> Route:
    return Route(None, NO_SMS_GATEWAY if contact.mobile else NO_CONTACT)


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


class _Outcome(Enum):
    SENT = auto()
    FAILED = auto()
    NO_ADDRESS = auto()
    NO_CHANNEL = auto()
    STILL_WAITING = auto()


def deliver_outbox(
    engine: Engine,
    notifier: Notifier | None,
    sealer: Sealer,
    *,
    sms: SmsSender | None = None,
    limit: int = 100,
) -> DeliveryReport:
    """Send up to `limit` unsent outbox rows, oldest first, each by the channel `route` picks
    among the configured ones (`notifier` for e-mail, `sms`; None when not configured), and
    report what happened.

    Rows never tried come before rows that failed before, so a few undeliverable rows cannot
    hold back new ones. Each row is committed as soon as it is tried: a run that stops midway
    never sends a row twice (except the one row whose send and commit it fell between; an SMS
    carries the row's key as its out-id, so the gateway drops that repeat). A try records its
    channel on the row; a success sets `sent_at`; a failure counts an attempt and records a
    short reason without personal data, and is retried on the next run. A row without an
    address ("无邮箱地址", "投诉人未留手机号或邮箱") or without a configured channel for it
    ("未配置…") stays unsent with that `last_error`; later runs pass over it without counting
    it until the address or the channel appears.

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
            outcome = _deliver_row(session, row, notifier, sms, sealer)
            row.claimed_until = None
            session.add(row)
            session.commit()
            if outcome is not _Outcome.STILL_WAITING:
                counts[outcome] += 1
    return DeliveryReport(
        sent=counts[_Outcome.SENT],
        failed=counts[_Outcome.FAILED],
        no_address=counts[_Outcome.NO_ADDRESS],
        no_channel=counts[_Outcome.NO_CHANNEL],
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


def _deliver_row(
    session: Session,
    row: OutboxRow,
    notifier: Notifier | None,
    sms: SmsSender | None,
    sealer: Sealer,
) -> _Outcome:
    """Try one row and change it to match; the caller commits."""
    try:
        contact = recipient_contact(session, row, sealer)
    except (ValueError, DecodeError):  # DecryptionError is a ValueError: a missing store key
        return _failed(row, UNREADABLE)
    chosen = route(row, contact, email=notifier is not None, sms=sms is not None)
    if chosen.channel is None:
        return _waiting(row, chosen.waiting)
    row.channel = chosen.channel
    try:
        message = _message(session, row, contact, chosen.channel, sealer)
    except (ValueError, DecodeError):
        return _failed(row, UNREADABLE)
    try:
        if isinstance(message, OutgoingSms):
            assert sms is not None  # routed to SMS only when it is configured
            sms.send(message)
        else:
            assert notifier is not None
            notifier.send(message)
    except Exception as exc:  # any notifier's failure is the row's, never the run's
        return _failed(row, failure_reason(exc))
    row.attempts += 1
    row.sent_at = datetime.now(UTC)
    row.last_error = ""
    return _Outcome.SENT


def _message(
    session: Session, row: OutboxRow, contact: Contact, channel: str, sealer: Sealer
) -> OutgoingMail | OutgoingSms:
    """What goes out for a row by `channel`; ValueError or DecodeError when its sealed text
    cannot be opened."""
    if channel == EMAIL:
        body = sealer.open_column(row, "sealed_text") if row.sealed_text is not None else row.text
        return OutgoingMail(contact.email, subject_for(row.kind), str(body))
    # An SMS says only public facts from a registered template, never the text staff wrote.
    case = session.get(Case, row.case_id)
    unit = session.get(Unit, case.handling_unit) if case else None
    facts = {
        "tracking_no": case.tracking_no if case else "",
        "unit": unit.name if unit else "",
        "hotline": unit.phone if unit else "",
    }
    return sms_for(row.kind, facts, phone=contact.mobile, out_id=row.key)


def _waiting(row: OutboxRow, reason: str) -> _Outcome:
    if row.last_error == reason:
        return _Outcome.STILL_WAITING
    row.last_error = reason
    return _Outcome.NO_ADDRESS if reason in (NO_ADDRESS, NO_CONTACT) else _Outcome.NO_CHANNEL


def _failed(row: OutboxRow, reason: str) -> _Outcome:
    row.attempts += 1
    row.last_error = reason
    log.warning("outbox row %s not sent: %s", row.key, reason)  # key: case, notice, unit code
    return _Outcome.FAILED


def recipient_contact(session: Session, row: OutboxRow, sealer: Sealer) -> Contact:
    """The unit's published e-mail, or the complainant's e-mail and mobile number from the
    sealed registration; empty where there is none (schools have no address in the tree)."""
    if row.to_complainant:
        registered = registration(session, row.case_id, sealer)
        if registered is None:
            return Contact()
        complainant = registered.complainant
        return Contact(complainant.email.strip(), _mobile(complainant.phone))
    unit = session.get(Unit, row.recipient_unit)
    return Contact(unit.email.strip() if unit else "")


def _mobile(phone: str) -> str:
    try:
        number = normalize_phone(phone) if phone.strip() else ""
    except InvalidIdentifier:
        return ""
    return number if is_mobile(number) else ""


def failure_reason(exc: BaseException) -> str:
    """The error's type and SMTP, HTTP or gateway code only: server replies and messages may
    quote the address or the phone number."""
    codes: list[int | str] = []
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
    elif isinstance(exc, smtplib.SMTPResponseException):
        codes = [exc.smtp_code]
    elif isinstance(exc, httpx.HTTPStatusError):
        codes = [exc.response.status_code]
    elif isinstance(exc, SmsRefused) and exc.code:
        codes = [exc.code]
    return " ".join(["发送失败：" + type(exc).__name__, *map(str, codes)])


class OutboxActivities(OutboxActivityInterface):
    """The outbox's delivery as an activity of the worker (workflows/outbox.py), with the
    channels the worker is configured with; without any, notices wait in the outbox."""

    def __init__(
        self, engine: Engine, sealer: Sealer, mail: Notifier | None, sms: SmsSender | None
    ) -> None:
        self._engine, self._sealer, self._mail, self._sms = engine, sealer, mail, sms

    @activity.defn(name="deliver_notifications")
    async def deliver_notifications(self, limit: int) -> DeliveryReport:
        if self._mail is None and self._sms is None:
            return DeliveryReport(sent=0, failed=0, no_address=0)
        report = await asyncio.to_thread(
            deliver_outbox, self._engine, self._mail, self._sealer, sms=self._sms, limit=limit
        )
        if report.sent or report.failed:
            log.info("outbox: %d sent, %d failed", report.sent, report.failed)
        return report
