"""The `record_case` activity on both stores: a retry leaves exactly the same rows, sealed
fields are never lost, and failures carry no personal data."""

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.store import StoreActivities
from core.keys import DEV_KEY_SPEC, DEV_LOOKUP_KEY, parse_lookup_key
from domain.process import Channel, SlipKind, Stage
from domain.records import (
    CaseRecord,
    CaseSnapshot,
    Clock,
    Complainant,
    Notice,
    Registration,
    SlipRecord,
    SlipState,
    TimelineEntry,
)
from domain.workdays import SHANGHAI
from store.cases import get_case, registration
from store.db import make_engine
from store.models import CaseSlip
from store.sealing import Sealer

SEALER = Sealer(DEV_KEY_SPEC)
LOOKUP_KEY = parse_lookup_key(DEV_LOOKUP_KEY)
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)
DUE = datetime(2030, 3, 11, 23, 59, 59, tzinfo=SHANGHAI)
PHONE = "13912345678"
NAME = "王小红"
TABLES = ("complaint_case", "case_step", "case_slip", "case_timeline", "notification_outbox")


@pytest.fixture
def engine(demo_store_url: str) -> Iterator[Engine]:
    """This test's store holding the demo tree."""
    engine = make_engine(demo_store_url)
    yield engine
    engine.dispose()


async def record(engine: Engine, entry: CaseRecord) -> None:
    await ActivityEnvironment().run(StoreActivities(engine, SEALER, LOOKUP_KEY).record_case, entry)


def registered() -> CaseRecord:
    slip = SlipState(
        slip_id="V1",
        kind=SlipKind.VERIFICATION,
        round=1,
        issuer="130100",
        addressee="130102",
        route=["130100", "130102"],
        sent_at=T0,
        clock=Clock(
            key="slip-V1",
            label="反馈核查单",
            unit="130102",
            started_at=T0,
            due=DUE,
            remind_at=DUE,
            estimated=False,
        ),
    )
    return CaseRecord(
        complaint_id="case-7",
        case=CaseSnapshot(
            tracking_no="20300304A1B2C3D",
            channel=Channel.PHONE,
            stage=Stage.VERIFICATION,
            receiving_unit="130000",
            handling_unit="130100",
            province="130000",
            received_at=T0,
            updated_at=T0,
            due=DUE,
            overdue=False,
            escalation_level=0,
        ),
        registration=Registration(
            complainant=Complainant(name=NAME, phone=PHONE, id_card="110105200801010021"),
            content=f"孩子{NAME}的学籍被转出，联系电话 {PHONE}",
            school_codes=["2130102001"],
            unit_codes=[],
        ),
        slips=[SlipRecord(slip=slip, instructions=f"请核查{NAME}的转出记录")],
        timeline=[
            TimelineEntry(key="t1", at=T0, kind="registered", text="130000 受理", unit="130000")
        ],
        notices=[Notice(key="n1", kind="overdue", text="核查单超期", unit="130102", climb=2)],
    )


def dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the case tables, sealed bytes included."""
    with engine.connect() as connection:
        return {
            table: sorted(
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                for row in connection.execute(text(f"SELECT * FROM {table}"))
            )
            for table in TABLES
        }


async def test_a_retried_record_leaves_exactly_the_same_rows(engine: Engine) -> None:
    await record(engine, registered())
    first = dump(engine)
    await record(engine, registered())

    assert dump(engine) == first
    assert [len(rows) for rows in first.values()] == [1, 1, 1, 1, 3]
    recipients = sorted(row[3] for row in first["notification_outbox"])
    assert recipients == ["130000", "130100", "130102"]  # county, prefecture, province


async def test_sealed_fields_are_kept_and_updated_never_erased(engine: Engine) -> None:
    await record(engine, registered())
    with Session(engine) as session:
        issued = session.get_one(CaseSlip, ("case-7", "V1")).sealed_instructions

    returned = replace(registered().slips[0], instructions=None, response="已核实，系误操作")
    await record(engine, CaseRecord(complaint_id="case-7", slips=[returned]))
    await record(
        engine, CaseRecord(complaint_id="case-7", slips=[replace(returned, response=None)])
    )

    with Session(engine) as session:
        slip = session.get_one(CaseSlip, ("case-7", "V1"))
        opened = registration(session, "case-7", SEALER)
    assert slip.sealed_instructions == issued
    assert slip.sealed_response is not None
    assert SEALER.open_column(slip, "sealed_response") == "已核实，系误操作"
    assert opened is not None and opened.complainant.name == NAME


def stored_bytes(engine: Engine, store_url: str) -> bytes:
    """Every stored value (text as UTF-8, blobs as they are), and a SQLite file as it is."""
    values = [v for rows in dump(engine).values() for row in rows for v in row]
    raw = b"\0".join(v if isinstance(v, bytes) else str(v).encode() for v in values)
    if store_url.startswith("sqlite:///"):
        engine.dispose()  # every page written to the file or its write-ahead log
        path = Path(store_url.removeprefix("sqlite:///"))
        for part in (path, path.with_name(path.name + "-wal")):
            raw += part.read_bytes() if part.exists() else b""
    return raw


async def test_personal_data_never_reaches_the_disk_in_clear(
    engine: Engine, store_url: str
) -> None:
    await record(engine, registered())
    raw = stored_bytes(engine, store_url)
    assert b"20300304A1B2C3D" in raw and "核查单超期".encode() in raw  # the search sees data
    for secret in (PHONE, NAME, "110105200801010021"):
        assert secret.encode() not in raw
    with Session(engine) as session:
        case = get_case(session, "case-7")
        opened = registration(session, "case-7", SEALER)
    assert case is not None and case.phone_masked == "139****5678"
    assert opened is not None and opened.complainant.phone == PHONE
    assert opened.complainant.id_card == "110105200801010021"


async def test_failures_name_the_case_but_no_personal_data(engine: Engine) -> None:
    orphan = CaseRecord(complaint_id="case-8", registration=registered().registration)
    with pytest.raises(ApplicationError) as refused:
        await record(engine, orphan)
    assert refused.value.non_retryable and refused.value.type == "InvalidRecord"
    assert "case-8" in refused.value.message

    broken = CaseRecord(
        complaint_id="case-7",
        timeline=[TimelineEntry(key="t2", at=None, kind="note", text=f"{NAME} {PHONE}")],  # type: ignore[arg-type]
    )
    with pytest.raises(ApplicationError) as failed:
        await record(engine, broken)
    error = failed.value
    assert not error.non_retryable and "case-7" in error.message
    assert error.__cause__ is None and error.__suppress_context__
    assert PHONE not in error.message and NAME not in error.message


def another_case(number: int) -> CaseRecord:
    """registered(), as a case of its own."""
    entry = registered()
    assert entry.case is not None
    entry.case = replace(entry.case, tracking_no=f"20300304A1B2C{number:02d}")
    return replace(entry, complaint_id=f"case-{number}")


class HeldStoreActivities(StoreActivities):
    """The real activities, whose first transaction waits until the test lets it go, and which
    note which transaction (session) wrote each record."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, SEALER, LOOKUP_KEY)
        self.gate = threading.Event()
        self.sessions: list[tuple[Session, str]] = []  # kept: no two share an id()

    def _apply(self, session: Session, entry: CaseRecord) -> None:
        if entry.complaint_id == "case-20":
            assert self.gate.wait(10)
        self.sessions.append((session, entry.complaint_id))
        super()._apply(session, entry)


async def test_records_that_wait_share_a_transaction_and_a_bad_one_fails_alone(
    engine: Engine,
) -> None:
    activities = HeldStoreActivities(engine)
    first = asyncio.create_task(ActivityEnvironment().run(activities.record_case, another_case(20)))
    while not activities._group._busy:
        await asyncio.sleep(0.01)
    orphan = CaseRecord(complaint_id="case-29", registration=registered().registration)
    waiting = [
        asyncio.create_task(ActivityEnvironment().run(activities.record_case, entry))
        for entry in (another_case(21), orphan, another_case(22))
    ]
    while len(activities._group._waiting) < 3:
        await asyncio.sleep(0.01)
    activities.gate.set()
    results = await asyncio.gather(first, *waiting, return_exceptions=True)

    assert results[0] is None and results[1] is None and results[3] is None
    refused = results[2]
    assert isinstance(refused, ApplicationError) and refused.type == "InvalidRecord"
    with Session(engine) as session:
        assert {get_case(session, f"case-{n}") is not None for n in (20, 21, 22)} == {True}
        assert get_case(session, "case-29") is None
    # case-20 alone; the three that waited in one transaction, in the order of their cases
    # (the orphan failed it), then each alone.
    batch = activities.sessions[1][0]
    together = [case for session, case in activities.sessions if session is batch]
    assert activities.sessions[0][1] == "case-20"
    assert together == ["case-21", "case-22", "case-29"]
    assert [case for _, case in activities.sessions[4:]] == ["case-21", "case-22", "case-29"]
