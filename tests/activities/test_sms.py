"""The complainant's notices by SMS through the project's own gateway over real HTTP, on both
stores: signed requests only, SMS for a mobile number and e-mail otherwise, the channel on
the row, failures without personal data, and no second message for a repeated send."""

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, update
from sqlmodel import Session, col
from typer.testing import CliRunner

from activities.notify import DeliveryReport, SmtpNotifier, deliver_outbox
from activities.sms import (
    TEMPLATES,
    OutgoingSms,
    SmsNotifier,
    authorization,
    canonical_request,
    signature,
)
from core.keys import DEV_KEY_SPEC, DEV_LOOKUP_KEY, DEV_SMS_ACCESS_KEY, parse_lookup_key
from core.settings import Settings, get_settings
from domain.process import Channel, Stage
from domain.records import CaseRecord, CaseSnapshot, Complainant, Notice, Registration
from domain.workdays import SHANGHAI
from store.cases import apply_record, outbox
from store.db import make_engine, session_scope
from store.models import OutboxRow
from store.sealing import Sealer
from tests.activities.test_notify import Mailbox
from tests.support.local import free_port
from xueji.cli import app
from xueji.sms_gateway import SmsGateway

SEALER = Sealer(DEV_KEY_SPEC)
LOOKUP_KEY = parse_lookup_key(DEV_LOOKUP_KEY)
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)
SECRET = "a-secret-of-this-test-only"
TRACKING_NO = "20300304K7QX3M7"
MOBILE, LANDLINE = "13812345678", "0311-87654321"
PARENT = "zhang.parent@example.invalid"
NAME = "张晓明"
INFORMED = "您的投诉已办结：张晓明同学的学籍已恢复。"
CITY, PROVINCE = "edu130100@example.invalid", "edu130000@example.invalid"


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with SmsGateway({DEV_SMS_ACCESS_KEY: SECRET}) as running:
        yield running


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, SmtpNotifier]]:
    handler, port = Mailbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, SmtpNotifier("127.0.0.1", port, "xueji@example.invalid")
    controller.stop()


def _sms(gateway: SmsGateway, secret: str = SECRET) -> SmsNotifier:
    return SmsNotifier(gateway.url, DEV_SMS_ACCESS_KEY, secret, "学籍投诉", timeout=3)


def _store(url: str, complainant: Complainant, asked: str = "") -> Engine:
    """The demo tree and one case of 石家庄 (130100): an overdue alert to the city and the
    province, and the result for the complainant, who gave what `complainant` holds (sent by
    the channel staff `asked` for, if any)."""
    engine = make_engine(url)
    record = CaseRecord(
        complaint_id="case-1",
        case=CaseSnapshot(
            tracking_no=TRACKING_NO,
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
            complainant=complainant,
            content="学籍被错误转出",
            school_codes=["2130100001"],
            unit_codes=[],
        ),
        notices=[
            Notice(key="n1", kind="overdue", text="核查单已超期", unit="130100", climb=1),
            Notice(key="n3", kind="informed", text=INFORMED, to_complainant=True, channel=asked),
        ],
    )
    with session_scope(engine) as session:
        apply_record(session, record, SEALER, T0, lookup_key=LOOKUP_KEY)
    return engine


@pytest.fixture
def phone_only(demo_store_url: str) -> Iterator[Engine]:
    engine = _store(demo_store_url, Complainant(name=NAME, phone=MOBILE))
    yield engine
    engine.dispose()


def _rows(engine: Engine) -> dict[str, tuple[str | None, bool, int, str]]:
    """Recipient unit ("" for the complainant) -> (channel, sent, attempts, last error)."""
    with Session(engine) as session:
        return {
            row.recipient_unit: (row.channel, row.sent_at is not None, row.attempts, row.last_error)
            for row in outbox(session, "case-1")
        }


def _post(gateway: SmsGateway, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(gateway.url, content=body, headers=headers, timeout=3)


def _signed(body: bytes, *, timestamp: float | None = None) -> dict[str, str]:
    """Headers signing `body` as the client does, with a fresh nonce."""
    stamp, nonce = str(int(timestamp or time.time())), uuid.uuid4().hex
    signed = signature(SECRET, canonical_request("POST", "/sms", stamp, nonce, body))
    return {"Authorization": authorization(DEV_SMS_ACCESS_KEY, stamp, nonce, signed)}


def test_the_gateway_takes_only_signed_requests(gateway: SmsGateway) -> None:
    message = OutgoingSms(MOBILE, "XUEJI_REGISTERED", {"tracking_no": TRACKING_NO}, "k-1")
    _sms(gateway).send(message)
    [received] = gateway.received
    assert (received.phone, received.template_code, received.out_id) == (
        MOBILE,
        "XUEJI_REGISTERED",
        "k-1",
    )
    assert received.text == (
        f"【学籍投诉】您的学籍投诉已受理，受理编号{TRACKING_NO}，凭受理编号和查询码可查进度。"
    )

    with pytest.raises(httpx.HTTPStatusError) as wrong_secret:
        _sms(gateway, secret="not-the-secret").send(message)
    assert wrong_secret.value.response.status_code == 401

    body = json.dumps(
        {
            "phone_number": MOBILE,
            "sign_name": "学籍投诉",
            "template_code": "XUEJI_REGISTERED",
            "template_param": {"tracking_no": TRACKING_NO},
            "out_id": "k-2",
        }
    ).encode()
    headers = _signed(body)
    tampered = body.replace(MOBILE.encode(), b"13900000000")
    answers = {
        "tampered body": _post(gateway, tampered, headers),
        "no signature": _post(gateway, body, {}),
        "an hour old": _post(gateway, body, _signed(body, timestamp=time.time() - 3600)),
        "signed": _post(gateway, body, headers),
        "replayed": _post(gateway, body, headers),
    }
    assert {what: answer.status_code for what, answer in answers.items()} == {
        "tampered body": 401,
        "no signature": 401,
        "an hour old": 401,
        "signed": 200,
        "replayed": 401,
    }
    assert answers["tampered body"].json() == {"code": "SignatureDoesNotMatch"}
    assert answers["replayed"].json() == {"code": "NonceUsed"}
    assert [sms.out_id for sms in gateway.received] == ["k-1", "k-2"]


def test_a_phone_only_complainant_is_told_by_sms(
    phone_only: Engine, gateway: SmsGateway, mailbox: tuple[Mailbox, SmtpNotifier]
) -> None:
    handler, mail = mailbox
    report = deliver_outbox(phone_only, mail, SEALER, sms=_sms(gateway))

    assert report == DeliveryReport(sent=3, failed=0, no_address=0)
    [sms] = gateway.received
    assert sms.phone == MOBILE and sms.out_id == "case-1:n3:complainant"
    assert sms.template_code == "XUEJI_INFORMED"
    assert sms.params == {"tracking_no": TRACKING_NO}
    assert TRACKING_NO in sms.text and NAME not in sms.text and "张" not in sms.text
    assert set(handler.by_recipient()) == {CITY, PROVINCE}  # the units, still by e-mail
    assert _rows(phone_only) == {
        "130100": ("email", True, 1, ""),
        "130000": ("email", True, 1, ""),
        "": ("sms", True, 1, ""),
    }


BOTH = Complainant(name=NAME, phone=MOBILE, email=PARENT)


@pytest.mark.parametrize(
    ("complainant", "asked", "channel"),
    [
        (Complainant(name=NAME, email=PARENT), "", "email"),
        (Complainant(name=NAME, phone=LANDLINE, email=PARENT), "", "email"),  # not to a landline
        (BOTH, "", "sms"),  # one message, not two
        (BOTH, "email", "email"),  # staff chose to tell them by e-mail (告知方式)
        (BOTH, "sms", "sms"),
    ],
    ids=["e-mail only", "landline and e-mail", "mobile and e-mail", "asked e-mail", "asked sms"],
)
def test_the_complainant_gets_one_message_by_the_channel_a_parent_expects(
    demo_store_url: str,
    gateway: SmsGateway,
    mailbox: tuple[Mailbox, SmtpNotifier],
    complainant: Complainant,
    asked: str,
    channel: str,
) -> None:
    handler, mail = mailbox
    engine = _store(demo_store_url, complainant, asked)
    try:
        assert deliver_outbox(engine, mail, SEALER, sms=_sms(gateway)).sent == 3
        assert _rows(engine)[""] == (channel, True, 1, "")
    finally:
        engine.dispose()
    mailed = handler.by_recipient()
    if channel == "email":
        assert gateway.received == []
        assert mailed[PARENT] == ("【学籍投诉】处理结果告知", INFORMED)
    else:
        assert [sms.phone for sms in gateway.received] == [MOBILE]
        assert PARENT not in mailed


def test_without_the_channel_it_needs_a_row_waits_until_it_is_configured(
    phone_only: Engine, gateway: SmsGateway, mailbox: tuple[Mailbox, SmtpNotifier]
) -> None:
    _, mail = mailbox
    assert deliver_outbox(phone_only, mail, SEALER) == DeliveryReport(
        sent=2, failed=0, no_address=0, no_channel=1
    )
    assert _rows(phone_only)[""] == (None, False, 0, "未配置短信网关（XUEJI_SMS_URL）")
    assert deliver_outbox(phone_only, mail, SEALER) == DeliveryReport(
        sent=0, failed=0, no_address=0
    )  # counted once

    assert deliver_outbox(phone_only, None, SEALER, sms=_sms(gateway)) == DeliveryReport(
        sent=1, failed=0, no_address=0
    )
    assert _rows(phone_only)[""] == ("sms", True, 1, "")
    assert len(gateway.received) == 1


def test_a_complainant_without_phone_or_e_mail_is_named_so(
    demo_store_url: str, gateway: SmsGateway
) -> None:
    engine = _store(demo_store_url, Complainant(name=NAME, phone=LANDLINE))
    try:
        assert deliver_outbox(engine, None, SEALER, sms=_sms(gateway)) == DeliveryReport(
            sent=0, failed=0, no_address=1, no_channel=2
        )
        rows = _rows(engine)
    finally:
        engine.dispose()
    assert rows[""] == (None, False, 0, "投诉人未留手机号或邮箱")
    assert rows["130100"] == (None, False, 0, "未配置邮件服务器（XUEJI_SMTP_HOST）")
    assert gateway.received == []


def test_failures_are_recorded_without_personal_data(
    phone_only: Engine, gateway: SmsGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    nowhere = SmsNotifier(f"http://127.0.0.1:{free_port()}/sms", DEV_SMS_ACCESS_KEY, SECRET, "x")
    errors = []
    gateway.refuse[MOBILE] = "isv.BUSINESS_LIMIT_CONTROL"
    for notifier in (nowhere, _sms(gateway, secret="wrong"), _sms(gateway)):
        assert deliver_outbox(phone_only, None, SEALER, sms=notifier).failed == 1
        errors.append(_rows(phone_only)[""])

    assert errors == [
        ("sms", False, 1, "发送失败：ConnectError"),
        ("sms", False, 2, "发送失败：HTTPStatusError 401"),
        ("sms", False, 3, "发送失败：SmsRefused isv.BUSINESS_LIMIT_CONTROL"),
    ]
    logged = caplog.text
    assert "case-1:n3:complainant" in logged  # the row is named, by its key
    for personal in (MOBILE, NAME, INFORMED):
        assert personal not in logged
        assert all(personal not in error for *_, error in errors)
    assert gateway.received == []

    del gateway.refuse[MOBILE]
    assert deliver_outbox(phone_only, None, SEALER, sms=_sms(gateway)).sent == 1
    assert _rows(phone_only)[""] == ("sms", True, 4, "")


def test_a_repeated_send_reaches_the_phone_once(phone_only: Engine, gateway: SmsGateway) -> None:
    sms = _sms(gateway)
    assert deliver_outbox(phone_only, None, SEALER, sms=sms).sent == 1
    # A run that sent the SMS and died before its commit: the row is unsent again.
    with session_scope(phone_only) as session:
        session.execute(
            update(OutboxRow)
            .where(col(OutboxRow.key) == "case-1:n3:complainant")
            .values(sent_at=None)
        )

    assert deliver_outbox(phone_only, None, SEALER, sms=sms).sent == 1
    assert gateway.requests == 2  # sent again, with the same out-id…
    assert [item.out_id for item in gateway.received] == ["case-1:n3:complainant"]  # …dropped

    assert deliver_outbox(phone_only, None, SEALER, sms=sms) == DeliveryReport(
        sent=0, failed=0, no_address=0
    )
    assert gateway.requests == 2


def test_two_runs_at_once_send_each_sms_once(demo_store_url: str, gateway: SmsGateway) -> None:
    engine = _store(demo_store_url, Complainant(name=NAME, phone=MOBILE))
    notices = [
        Notice(key=f"p{n}", kind="transferred", text="转办", to_complainant=True) for n in range(8)
    ]
    with session_scope(engine) as session:
        record = CaseRecord(complaint_id="case-1", notices=notices)
        apply_record(session, record, SEALER, T0, lookup_key=LOOKUP_KEY)
    start = threading.Barrier(2)

    def run(_: int) -> DeliveryReport:
        start.wait()
        return deliver_outbox(engine, None, SEALER, sms=_sms(gateway))

    try:
        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(run, range(2)))
    finally:
        engine.dispose()
    assert sum(report.sent for report in reports) == 9  # 8 + the case's result
    assert gateway.requests == len(gateway.received) == 9
    transferred = [sms for sms in gateway.received if sms.template_code == "XUEJI_TRANSFERRED"]
    assert transferred[0].params == {"tracking_no": TRACKING_NO, "unit": "石家庄市教育局"}


def test_every_template_is_short_and_names_nobody() -> None:
    for code, wording in TEMPLATES.items():
        filled = wording.replace("${tracking_no}", TRACKING_NO).replace("${unit}", "石家庄市教育局")
        filled = filled.replace("${hotline}", "0311-86012345")
        assert len("【学籍投诉】" + filled) <= 70, code  # one SMS segment
        assert "$" not in filled, code


@pytest.fixture
def cli_env(
    phone_only: Engine, store_url: str, gateway: SmsGateway, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", store_url)
    for name in ("XUEJI_SMTP_HOST", "XUEJI_STORE_KEYS", "XUEJI_SMS_SIGN_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XUEJI_SMS_URL", gateway.url)
    monkeypatch.setenv("XUEJI_SMS_ACCESS_KEY", DEV_SMS_ACCESS_KEY)
    monkeypatch.setenv("XUEJI_SMS_SECRET", SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_sends_by_sms_alone(cli_env: None, gateway: SmsGateway) -> None:
    result = CliRunner().invoke(app, ["notify", "send"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "发送渠道：短信",
        "已发送 1 条，失败 0 条，无联系方式 0 条，待配置渠道 2 条",
    ]
    assert [sms.phone for sms in gateway.received] == [MOBILE]


def test_the_local_gateway_logs_each_sms_with_the_number_masked() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
    env["XUEJI_SMS_DEV_PORT"] = str(port)
    process = subprocess.Popen(
        [sys.executable, "-m", "xueji.sms_gateway"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "本地短信网关已启动" in process.stdout.readline()
        settings = Settings(sms_url=f"http://127.0.0.1:{port}/sms")
        notifier = SmsNotifier.from_settings(settings)
        assert notifier is not None
        notifier.send(OutgoingSms(MOBILE, "XUEJI_INFORMED", {"tracking_no": TRACKING_NO}, "k"))
        line = process.stdout.readline()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
    assert line.startswith("[短信网关] 短信 → 138****5678：【学籍投诉】您的学籍投诉")
    assert TRACKING_NO in line and MOBILE not in line


def test_production_refuses_the_development_sms_secret() -> None:
    without_sms = Settings(environment="production").production_problems()
    assert not any("XUEJI_SMS" in problem for problem in without_sms)
    problems = Settings(environment="production", sms_url="https://sms.example.cn/send")
    assert any("XUEJI_SMS_SECRET" in problem for problem in problems.production_problems())
    configured = Settings(
        environment="production", sms_url="https://sms.example.cn/send", sms_secret="own"
    )
    assert not any("XUEJI_SMS_SECRET" in p for p in configured.production_problems())
