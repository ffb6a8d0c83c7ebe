"""The read model on both stores: idempotent writes, climbing alerts, sealed personal data."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from core.keys import DEV_KEY_SPEC, DEV_LOOKUP_KEY, parse_lookup_key
from domain.process import Channel, SlipKind, Stage
from domain.records import (
    CaseRecord,
    CaseSnapshot,
    Clock,
    Complainant,
    Hop,
    Notice,
    Registration,
    SlipRecord,
    SlipState,
    Student,
    TimelineEntry,
)
from domain.workdays import SHANGHAI
from store.cases import (
    apply_record,
    cases_by_complainant,
    outbox,
    registration,
    slips,
    timeline,
)
from store.db import make_engine, session_scope
from store.models import Case, CaseAccess, CaseClock, CaseSlip, OutboxRow, TimelineRow, Unit
from store.sealing import Sealer
from store.tree import TreeRows

SEALER = Sealer(DEV_KEY_SPEC)
LOOKUP_KEY = parse_lookup_key(DEV_LOOKUP_KEY)
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)
DUE = datetime(2030, 3, 7, 23, 59, 59, tzinfo=SHANGHAI)
PHONE = "13812345678"


@pytest.fixture
def engine(demo_store_url: str) -> Iterator[Engine]:
    """This test's store holding the demo tree."""
    engine = make_engine(demo_store_url)
    yield engine
    engine.dispose()


def record(*notices: Notice) -> CaseRecord:
    clock = Clock(
        key="verify_issue-1",
        label="下发核查单",
        unit="130100",
        started_at=T0,
        due=DUE,
        remind_at=DUE,
        estimated=True,
    )
    slip = SlipState(
        slip_id="V1",
        kind=SlipKind.VERIFICATION,
        round=1,
        issuer="130100",
        addressee="130102",
        route=["130100", "130102"],
        sent_at=T0,
        hops=[Hop(from_unit="130100", to_unit="130102", at=T0)],
        clock=Clock(
            key="slip-V1",
            label="核查单 V1",
            unit="130102",
            started_at=T0,
            due=DUE,
            remind_at=DUE,
            estimated=True,
        ),
    )
    return CaseRecord(
        complaint_id="case-1",
        case=CaseSnapshot(
            tracking_no="20300304K7QX3M7",
            channel=Channel.WEB,
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
            complainant=Complainant(name="张晓明", phone=PHONE, email="parent@example.invalid"),
            content="学籍被错误转出",
            school_codes=["2130102001", "2130104001"],
            unit_codes=[],
            students=[Student(name="张小雨", student_no="G130102201001011234")],
        ),
        clocks=[clock],
        slips=[SlipRecord(slip=slip, instructions="请核查转出记录")],
        timeline=[
            TimelineEntry(key="t1", at=T0, kind="registered", text="130000 受理", unit="130000")
        ],
        notices=list(notices),
    )


def write(engine: Engine, entry: CaseRecord) -> None:
    with session_scope(engine) as session:
        apply_record(session, entry, SEALER, T0, lookup_key=LOOKUP_KEY)


def counts(session: Session) -> list[int]:
    return [
        session.exec(select(func.count()).select_from(model)).one()
        for model in (Case, CaseClock, CaseSlip, TimelineRow, OutboxRow)
    ]


def test_applying_a_record_twice_changes_nothing(engine: Engine) -> None:
    notice = Notice(key="n1", kind="step", text="待下发核查单", unit="130100")
    write(engine, record(notice))
    with Session(engine) as session:
        first = counts(session)
    write(engine, record(notice))
    with Session(engine) as session:
        assert counts(session) == first == [1, 2, 1, 1, 1]
        case = session.get(Case, "case-1")
        assert case is not None and case.due == DUE and case.received_at == T0
        assert [row.slip_id for row in slips(session, "case-1")] == ["V1"]
        assert [row.key for row in timeline(session, "case-1")] == ["t1"]


def test_entries_of_one_instant_read_in_the_order_the_workflow_wrote_them(
    engine: Engine,
) -> None:
    write(engine, record())
    # What one workflow task writes at one time: a slip passing two levels and received; its
    # answer going back up; a closing with the follow-up it starts.
    instants = [
        (datetime(2030, 3, 5, 10, 0, tzinfo=SHANGHAI), ["V1:sent:0", "V1:sent:1", "V1:received"]),
        (
            datetime(2030, 3, 6, 10, 0, tzinfo=SHANGHAI),
            ["V1:answered", "V1:returned:0", "V1:returned:1"],
        ),
        (datetime(2030, 3, 7, 10, 0, tzinfo=SHANGHAI), ["t9", "t10"]),
    ]
    for at, keys in instants:
        entries = [TimelineEntry(key=k, at=at, kind="note", text=k, unit="130100") for k in keys]
        write(engine, CaseRecord(complaint_id="case-1", timeline=entries[::-1]))
    with Session(engine) as session:
        read = [row.key for row in timeline(session, "case-1")]
    assert read == ["t1", *(key for _, keys in instants for key in keys)]


def test_overdue_alert_climbs_and_stops_at_the_ministry(engine: Engine) -> None:
    write(
        engine,
        record(
            Notice(key="n1", kind="overdue", text="超期", unit="130102", climb=2),
            Notice(key="n2", kind="escalated", text="升级", unit="130102", climb=9),
            Notice(key="n3", kind="slip_received", text="请办理", unit="2130102001"),
            Notice(key="n4", kind="registered", text="已受理", to_complainant=True),
        ),
    )
    with Session(engine) as session:
        rows = outbox(session, "case-1")
    by_notice: dict[str, list[str]] = {}
    for row in rows:
        by_notice.setdefault(row.key.split(":")[1], []).append(row.recipient_unit)
    assert sorted(by_notice["n1"]) == ["130000", "130100", "130102"]
    assert sorted(by_notice["n2"]) == ["000000", "130000", "130100", "130102"]
    assert by_notice["n3"] == ["2130102001"]  # a school acts on its own slip
    assert by_notice["n4"] == [""]
    assert next(r for r in rows if r.key.endswith(":complainant")).to_complainant


def test_personal_data_is_sealed_at_rest(engine: Engine) -> None:
    write(engine, record())
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT sealed, phone_masked FROM complaint_case")).one()
        slip_raw = connection.execute(text("SELECT sealed_instructions FROM case_slip")).one()
    assert PHONE.encode() not in bytes(raw.sealed)
    assert "张晓明".encode() not in bytes(raw.sealed)
    assert "请核查".encode() not in bytes(slip_raw.sealed_instructions)
    assert raw.phone_masked == "138****5678"
    with Session(engine) as session:
        opened = registration(session, "case-1", SEALER)
    assert opened is not None
    assert (opened.complainant.phone, opened.content) == (PHONE, "学籍被错误转出")
    assert opened.students == [Student(name="张小雨", student_no="G130102201001011234")]
    assert b"G130102201001011234" not in bytes(raw.sealed)


ID_CARD = "11010519491231002X"


def test_a_case_is_found_by_its_numbers_in_any_spelling_and_keeps_none_in_clear(
    engine: Engine,
) -> None:
    entry = record()
    assert entry.registration is not None
    entry.registration.complainant.id_card = ID_CARD
    write(engine, entry)
    with Session(engine) as session:
        for kind, spelling in [
            ("phone", "+86 138 1234 5678"),
            ("phone", "138-1234-5678"),
            ("id_card", "110105 19491231 002x"),
        ]:
            found = cases_by_complainant(
                session=session, kind=kind, value=spelling, lookup_key=LOOKUP_KEY
            )
            assert [case.id for case in found] == ["case-1"], spelling
        other = cases_by_complainant(
            session=session, kind="phone", value="13912345678", lookup_key=LOOKUP_KEY
        )
        assert other == []
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM complaint_case")).one()
    cells = [bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row]
    for number in (PHONE, ID_CARD, ID_CARD.lower(), ID_CARD[:17]):
        assert not any(number.encode() in cell for cell in cells), number


def test_the_same_number_under_another_key_is_not_found(engine: Engine) -> None:
    write(engine, record())
    with Session(engine) as session:
        found = cases_by_complainant(
            session=session, kind="phone", value=PHONE, lookup_key=b"k" * 32
        )
    assert found == []


def test_a_case_without_numbers_has_no_hashes(engine: Engine) -> None:
    entry = record()
    assert entry.registration is not None
    entry.registration.complainant.phone = "不详"
    write(engine, entry)
    with Session(engine) as session:
        case = session.get(Case, "case-1")
    assert case is not None
    assert (case.complainant_phone_hash, case.complainant_id_hash) == (None, None)


def test_records_written_at_once_keep_every_unit_on_every_route(engine: Engine) -> None:
    """The complaint workflow and its slips record the same case at the same moment; no write
    may drop the access another one just gave (a county on a slip's route must see the case)."""
    base = record()
    assert base.case is not None
    routes = {"V1": ["130100", "130102"], "V2": ["130100", "130104"], "V3": ["130100", "130105"]}

    def slip_record(case_id: str, slip_id: str) -> CaseRecord:
        slip = replace(base.slips[0].slip, slip_id=slip_id, route=routes[slip_id], clock=None)
        return CaseRecord(complaint_id=case_id, slips=[SlipRecord(slip=slip)])

    for n in range(12):
        case_id = f"case-{n}"
        snapshot = replace(base.case, tracking_no=f"2030030400000{n:02d}")
        write(engine, CaseRecord(complaint_id=case_id, case=snapshot))
        batch = [CaseRecord(complaint_id=case_id, case=snapshot)]
        batch += [slip_record(case_id, slip_id) for slip_id in routes]
        start = threading.Barrier(len(batch))

        def apply(entry: CaseRecord, start: threading.Barrier = start) -> None:
            start.wait()
            write(engine, entry)

        with ThreadPoolExecutor(len(batch)) as pool:
            list(pool.map(apply, batch))
        with Session(engine) as session:
            units = session.exec(select(CaseAccess.unit_code).where(CaseAccess.case_id == case_id))
            assert sorted(units) == ["000000", "130000", "130100", "130102", "130104", "130105"]


def test_records_of_one_transaction_share_the_tree_rows_and_the_next_reads_them_again(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        session.connection()  # a transaction has begun
        rows = TreeRows.of(session)
        assert rows.chain("130102") == ["000000", "130000", "130100", "130102"]
        assert TreeRows.of(session) is rows
        unit = session.get(Unit, "130102")
        assert unit is not None
        unit.parent_code = "130000"  # moved up a level by an administrator, say
        session.add(unit)
        session.commit()

        session.connection()
        assert TreeRows.of(session) is not rows
        assert TreeRows.of(session).chain("130102") == ["000000", "130000", "130102"]
        session.rollback()
