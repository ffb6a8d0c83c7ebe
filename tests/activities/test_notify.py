"""Mailing the outbox through a real local SMTP server, on both stores: each notice once, to the
unit's or the complainant's address, failures recorded without personal data."""

import email
import email.policy
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, text
from sqlmodel import Session
from typer.testing import CliRunner

from activities.notify import DeliveryReport, OutgoingMail, SmtpNotifier, deliver_outbox
from core.keys import DEV_KEY_SPEC, DEV_LOOKUP_KEY, generate_key, parse_lookup_key
from core.settings import get_settings
from domain.process import Channel, Stage
from domain.records import CaseRecord, CaseSnapshot, Complainant, Notice, Registration
from domain.workdays import SHANGHAI
from store.cases import apply_record, outbox
from store.db import make_engine, session_scope
from store.models import Unit
from store.sealing import Sealer
from tests.support.local import free_port
from xueji.cli import app

SEALER = Sealer(DEV_KEY_SPEC)
LOOKUP_KEY = parse_lookup_key(DEV_LOOKUP_KEY)
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)
SENDER = "xueji@example.invalid"
PARENT = "zhang.parent@example.invalid"
CITY, PROVINCE = "edu130100@example.invalid", "edu130000@example.invalid"
OVERDUE = "投诉 20300304K7QX3M7 的核查单已超期，请尽快办理"
INFORMED = "您的投诉已办结：学籍已恢复。"


@dataclass
class Received:
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


class Mailbox:
    """An aiosmtpd handler keeping every message; it refuses the addresses in `refuse`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(  # aiosmtpd calls its hooks by these names
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}> mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), envelope.content, message))
        return "250 OK"

    def by_recipient(self) -> dict[str, tuple[str, str]]:
        """Recipient -> (decoded subject, decoded body) of every message."""
        return {
            rcpt: (str(item.message["Subject"]), item.message.get_content().rstrip("\n"))
            for item in self.received
            for rcpt in item.rcpt_tos
        }


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler, port = Mailbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def engine(demo_store_url: str) -> Iterator[Engine]:
    """This test's store holding the demo tree and the case of `_case()`."""
    engine = make_engine(demo_store_url)
    with session_scope(engine) as session:
        apply_record(session, _case(), SEALER, T0, lookup_key=LOOKUP_KEY)
    yield engine
    engine.dispose()


def _case() -> CaseRecord:
    """A case of 石家庄 (130100): an overdue alert climbing one level to 河北 (130000), a notice
    to a school (schools have no address) and the result for the complainant."""
    return CaseRecord(
        complaint_id="case-1",
        case=CaseSnapshot(
            tracking_no="20300304K7QX3M7",
            channel=Channel.WEB,
            stage=Stage.VERIFY_ISSUE,
            receiving_unit="130100",
            handling_unit="130100",
            province="130000",
            received_at=T0,
            updated_at=T0,
            due=None,
            overdue=True,
            escalation_level=1,
        ),
        registration=Registration(
            complainant=Complainant(name="张晓明", phone="13812345678", email=PARENT),
            content="学籍被错误转出",
            school_codes=["2130100001"],
            unit_codes=[],
        ),
        notices=[
            Notice(key="n1", kind="overdue", text=OVERDUE, unit="130100", climb=1),
            Notice(key="n2", kind="slip_received", text="请办理核查单 V1", unit="2130100001"),
            Notice(key="n3", kind="informed", text=INFORMED, to_complainant=True),
        ],
    )


def _rows(engine: Engine) -> dict[str, tuple[bool, int, str]]:
    """Recipient unit ("" for the complainant) -> (sent, attempts, last error)."""
    with Session(engine) as session:
        return {
            row.recipient_unit: (row.sent_at is not None, row.attempts, row.last_error)
            for row in outbox(session, "case-1")
        }


def _set_unit_email(engine: Engine, code: str, address: str) -> None:
    with session_scope(engine) as session:
        unit = session.get(Unit, code)
        assert unit is not None
        unit.email = address
        session.add(unit)


def test_each_notice_is_mailed_once_in_chinese(
    engine: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    notifier = SmtpNotifier("127.0.0.1", port, SENDER)

    assert deliver_outbox(engine, notifier, SEALER) == DeliveryReport(
        sent=3, failed=0, no_address=1
    )

    assert handler.by_recipient() == {
        CITY: ("【学籍投诉】超期督办", OVERDUE),
        PROVINCE: ("【学籍投诉】超期督办", OVERDUE),
        PARENT: ("【学籍投诉】处理结果告知", INFORMED),
    }
    for item in handler.received:
        assert item.rcpt_tos == [str(item.message["To"])]
        assert str(item.message["From"]) == SENDER
        assert item.message.get_content_charset() == "utf-8"
        assert item.raw.isascii()  # subject RFC 2047-encoded, body base64: any relay takes it
        assert item.message["Message-ID"] and item.message["Date"]
    assert _rows(engine) == {
        "130100": (True, 1, ""),
        "130000": (True, 1, ""),
        "2130100001": (False, 0, "无邮箱地址"),
        "": (True, 1, ""),
    }
    with Session(engine) as session:
        sent_at = [row.sent_at for row in outbox(session, "case-1") if row.sent_at]
    assert all(at.utcoffset() == timedelta(0) for at in sent_at)

    assert deliver_outbox(engine, notifier, SEALER) == DeliveryReport(
        sent=0, failed=0, no_address=0
    )
    assert len(handler.received) == 3
    assert _rows(engine)["2130100001"] == (False, 0, "无邮箱地址")


def test_a_row_without_address_is_sent_when_the_address_appears(
    engine: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    notifier = SmtpNotifier("127.0.0.1", port, SENDER)
    _set_unit_email(engine, "130000", "")

    assert deliver_outbox(engine, notifier, SEALER) == DeliveryReport(
        sent=2, failed=0, no_address=2
    )
    assert _rows(engine)["130000"] == (False, 0, "无邮箱地址")
    assert deliver_outbox(engine, notifier, SEALER) == DeliveryReport(
        sent=0, failed=0, no_address=0
    )

    _set_unit_email(engine, "130000", PROVINCE)
    assert deliver_outbox(engine, notifier, SEALER) == DeliveryReport(
        sent=1, failed=0, no_address=0
    )
    assert _rows(engine)["130000"] == (True, 1, "")
    assert [item.rcpt_tos for item in handler.received].count([PROVINCE]) == 1


def test_an_unreachable_server_leaves_the_rows_for_the_next_run(
    engine: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    nowhere = SmtpNotifier("127.0.0.1", free_port(), SENDER, timeout=3)

    assert deliver_outbox(engine, nowhere, SEALER) == DeliveryReport(sent=0, failed=3, no_address=1)
    rows = _rows(engine)
    for unit in ("130100", "130000", ""):
        sent, attempts, error = rows[unit]
        assert (sent, attempts) == (False, 1)
        assert error.startswith("发送失败：")
        assert "ConnectionRefusedError" in error
        for personal in ("@", PARENT, CITY, PROVINCE, "张晓明", INFORMED, OVERDUE):
            assert personal not in error

    notifier = SmtpNotifier("127.0.0.1", port, SENDER)
    assert deliver_outbox(engine, notifier, SEALER) == DeliveryReport(
        sent=3, failed=0, no_address=0
    )
    assert _rows(engine)[""] == (True, 2, "")
    assert len(handler.received) == 3


def test_a_refused_recipient_is_recorded_by_code_not_by_address(
    engine: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    handler.refuse = {PARENT}
    notifier = SmtpNotifier("127.0.0.1", port, SENDER)

    assert deliver_outbox(engine, notifier, SEALER) == DeliveryReport(
        sent=2, failed=1, no_address=1
    )
    assert _rows(engine)[""] == (False, 1, "发送失败：SMTPRecipientsRefused 550")

    handler.refuse = set()
    assert deliver_outbox(engine, notifier, SEALER) == DeliveryReport(
        sent=1, failed=0, no_address=0
    )
    assert _rows(engine)[""] == (True, 2, "")


def test_the_limit_takes_the_oldest_rows_first(
    engine: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    notifier = SmtpNotifier("127.0.0.1", port, SENDER)
    later = CaseRecord(
        complaint_id="case-1", notices=[Notice(key="n0", kind="step", text="待办", unit="130100")]
    )
    with session_scope(engine) as session:
        apply_record(session, later, SEALER, T0 + timedelta(hours=1), lookup_key=LOOKUP_KEY)

    assert deliver_outbox(engine, notifier, SEALER, limit=2) == DeliveryReport(
        sent=2, failed=0, no_address=0
    )
    assert handler.by_recipient() == {
        CITY: ("【学籍投诉】超期督办", OVERDUE),
        PROVINCE: ("【学籍投诉】超期督办", OVERDUE),
    }
    assert deliver_outbox(engine, notifier, SEALER, limit=2) == DeliveryReport(
        sent=1, failed=0, no_address=1
    )
    assert deliver_outbox(engine, notifier, SEALER, limit=2) == DeliveryReport(
        sent=1, failed=0, no_address=0
    )
    assert handler.by_recipient()[CITY] == ("【学籍投诉】待办", "待办")


def test_a_registration_sealed_with_another_key_fails_without_sending(
    engine: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    notifier = SmtpNotifier("127.0.0.1", port, SENDER)

    assert deliver_outbox(engine, notifier, Sealer(f"other:{generate_key()}")) == DeliveryReport(
        sent=2, failed=1, no_address=1
    )
    assert _rows(engine)[""] == (False, 1, "投诉人信息无法解密（请检查 XUEJI_STORE_KEYS）")
    assert PARENT not in handler.by_recipient()


@pytest.fixture
def cli_env(engine: Engine, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", store_url)
    for name in ("XUEJI_SMTP_HOST", "XUEJI_SMTP_PORT", "XUEJI_STORE_KEYS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_refuses_without_smtp_and_sends_with_it(
    cli_env: None, mailbox: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = mailbox
    runner = CliRunner()

    refused = runner.invoke(app, ["notify", "send"])
    assert refused.exit_code == 1
    assert "未配置邮件服务器或短信网关" in refused.output and "XUEJI_SMTP_HOST" in refused.output
    assert handler.received == []

    monkeypatch.setenv("XUEJI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("XUEJI_SMTP_PORT", str(port))
    get_settings.cache_clear()
    result = runner.invoke(app, ["notify", "send", "--limit", "10"])
    assert result.exit_code == 0, result.output
    assert "已发送 3 条，失败 0 条，无联系方式 1 条" in result.output
    assert len(handler.received) == 3


class SlowNotifier:
    """Keeps every mail it is handed; each send takes a moment, as a real server's does."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def send(self, mail: OutgoingMail) -> None:
        time.sleep(0.02)
        with self._lock:
            self.sent.append((mail.to, mail.body))


def test_two_runs_at_once_send_each_notice_once(engine: Engine) -> None:
    notices = [
        Notice(key=f"r{n}", kind="reminder", text=f"临期提醒 {n}", unit="130100") for n in range(12)
    ]
    with session_scope(engine) as session:
        apply_record(
            session,
            CaseRecord(complaint_id="case-1", notices=notices),
            SEALER,
            T0,
            lookup_key=LOOKUP_KEY,
        )
    notifier = SlowNotifier()
    start = threading.Barrier(2)

    def run(_: int) -> DeliveryReport:
        start.wait()
        return deliver_outbox(engine, notifier, SEALER)

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(run, range(2)))

    assert len(notifier.sent) == len(set(notifier.sent)) == 15  # 12 + the case's 3 with an address
    assert sum(report.sent for report in reports) == 15


def test_what_the_complainant_is_told_is_sealed_at_rest(
    engine: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM notification_outbox")).all()
    cells = [
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for r in rows for v in r
    ]
    assert not any(INFORMED.encode() in cell for cell in cells)
    assert any(OVERDUE.encode() in cell for cell in cells)  # what units are told is plain

    handler, port = mailbox
    deliver_outbox(engine, SmtpNotifier("127.0.0.1", port, SENDER), SEALER)
    assert handler.by_recipient()[PARENT][1] == INFORMED
