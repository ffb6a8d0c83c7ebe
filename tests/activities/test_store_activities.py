"""The `record_case` activity on both stores: a retry leaves exactly the same rows, sealed
fields are never lost, and failures carry no personal data."""

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
