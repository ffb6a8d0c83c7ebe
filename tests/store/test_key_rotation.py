"""`xueji keys rotate` on both stores: every sealed value re-sealed under the active key and
bound to its row, so the old key can be removed; idempotent, resumable, counted; a value moved
to another row refused rather than re-sealed there."""

import base64
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, LargeBinary
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from core.keys import generate_key, parse_lookup_key
from core.settings import get_settings
from domain.workdays import SHANGHAI
from store.attachments import blob_binding
from store.blobs import LocalBlobs
from store.cases import cases_by_complainant, registration
from store.db import make_engine, session_scope
from store.intake import code_hash
from store.models import (
    Attachment,
    Campaign,
    CampaignUnit,
    Case,
    CaseRepeat,
    CaseSlip,
    Intake,
    OutboxRow,
    StaffUser,
    TimelineRow,
)
from store.rotation import SEALED_COLUMNS, ColumnReport, rehash_lookups, rotate
from store.sealing import Sealer
from tests.core.test_sealing import sealed_the_old_way, sealed_unbound
from tests.support.stores import MIGRATED, FreshStore
from xueji.cli import app

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)
OLD = f"k1:{generate_key()}"
NEW = f"k2:{generate_key()}"
REGISTRATION = {
    "complainant": {
        "name": "张晓明",
        "phone": "13812345678",
        "email": "",
        "id_card": "",
        "student_no": "",
    },
    "content": "学籍被错误转出",
    "school_codes": ["2130102001"],
    "unit_codes": [],
    "students": [],
}
runner = CliRunner()


def case(case_id: str) -> Case:
    return Case(
        id=case_id,
        tracking_no=f"T{case_id}",
        channel="web",
        stage="verification",
        receiving_unit="130000",
        handling_unit="130100",
        province="130000",
        received_at=T0,
        updated_at=T0,
    )


def rows() -> list[tuple[SQLModel, str, object]]:
    """A row for every sealed column, with the value it holds (three cases for batches)."""
    cases = [case(f"c-{n}") for n in (1, 2, 3)]
    slip = CaseSlip(
        case_id="c-1",
        slip_id="V1",
        kind="verification",
        round=1,
        issuer="130100",
        addressee="130102",
        route="[]",
        hops="[]",
        status="sent",
        sent_at=T0,
    )
    entry = TimelineRow(case_id="c-1", key="t1", at=T0, kind="note", text="")
    notice = OutboxRow(
        key="c-1:n1:complainant", case_id="c-1", kind="informed", text="", created_at=T0
    )
    intake = Intake(
        complaint_id="c-1",
        tracking_no="Tc-1",
        query_code_hash="h",
        sealed_query_code=b"",
        registered_by="clerk",
        receiving_unit="130000",
        request_hash="r",
        created_at=T0,
    )
    repeat = CaseRepeat(
        id="r-1",
        case_id="c-1",
        channel="phone",
        receiving_unit="130100",
        registered_by="clerk",
        received_at=T0,
        request_hash="r",
        sealed=b"",
    )
    unit = CampaignUnit(campaign_id="p-1", unit_code="130100", position=0)
    user = StaffUser(
        username="handler",
        unit_code="130100",
        role="handler",
        password_hash="x",
        password_changed_at=T0,
        created_at=T0,
    )
    attachment = Attachment(
        id="a" * 32,
        complaint_id="c-1",
        purpose="case",
        unit_code="130100",
        uploaded_by="handler",
        uploaded_at=T0,
        size=1,
        content_type="application/pdf",
        sha256="0" * 64,
        blob_key="a" * 32,
    )
    return [
        *((row, "sealed", {**REGISTRATION, "content": f"投诉 {row.id}"}) for row in cases),
        (cases[0], "sealed_public_reply", "已核实并纠正"),
        (slip, "sealed_instructions", "请核查转出记录"),
        (slip, "sealed_response", "已核实，系误操作"),
        (entry, "sealed_note", "电话已联系家长"),
        (notice, "sealed_text", "您的投诉已办结"),
        (intake, "sealed_query_code", "123456"),
        (unit, "sealed_report", {"entries": [], "public_phone": "0311-1", "public_email": ""}),
        (user, "totp_secret", "JBSWY3DPEHPK3PXP"),
        (attachment, "sealed_name", "注销凭证.pdf"),
        (repeat, "sealed", {**REGISTRATION, "content": "又来电询问"}),  # last: its key is set
    ]


def written_before_the_binding(
    engine: Engine,
) -> list[tuple[type[SQLModel], tuple[object, ...], str, object]]:
    """The rows stored as an older release left them, under the old key: unbound (XS1), the
    older Temporal-payload format, and one already bound; what each should hold."""
    wanted = []
    with session_scope(engine) as session:
        session.add(
            Campaign(
                id="p-1",
                title="人员表",
                opener_unit="130000",
                status="open",
                opened_at=T0,
                due=T0,
                remind_at=T0,
            )
        )
        for n, (row, column, value) in enumerate(rows()):
            if n % 3 == 0:
                setattr(row, column, sealed_unbound(value, OLD))
            elif n % 3 == 1:
                setattr(row, column, sealed_the_old_way(value, OLD))
            else:
                Sealer(OLD).seal_column(row, column, value)
            session.add(row)
            session.flush()
            key = tuple(getattr(row, name) for name in _key_names(type(row)))
            wanted.append((type(row), key, column, value))
    return wanted


def _key_names(model: type[SQLModel]) -> list[str]:
    return [c.name for c in model.__table__.primary_key.columns]  # type: ignore[attr-defined]


def opened_with_the_new_key_alone(
    engine: Engine, model: type[SQLModel], key: tuple[object, ...], column: str
) -> object:
    sealer = Sealer(NEW)
    with Session(engine) as session:
        row = session.get(model, key if len(key) > 1 else key[0])
        assert row is not None
        assert sealer.is_current(getattr(row, column))
        return sealer.open_column(row, column)


@pytest.fixture
def engine(fresh_store: FreshStore) -> Iterator[Engine]:
    engine = make_engine(fresh_store.make(MIGRATED))
    yield engine
    engine.dispose()


def test_every_sealed_column_of_the_store_is_rotated() -> None:
    """A new sealed column must join SEALED_COLUMNS, or rotation would leave it under the old
    key (and a removed key would lose it)."""
    listed = {(model.__tablename__, column) for model, column in SEALED_COLUMNS}
    binary = {
        (table.name, column.name)
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    }
    # Binary but not sealed: an uploaded organisation tree waiting for its preview to be
    # applied, zlib-compressed (units' and schools' names, codes and public contacts only).
    compressed = {("org_import_draft", "records")}
    assert binary - compressed == listed
    assert {(type(row).__tablename__, column) for row, column, _ in rows()} == listed


def test_rotation_reseals_everything_bound_under_the_new_key_and_the_old_key_can_go(
    engine: Engine,
) -> None:
    wanted = written_before_the_binding(engine)

    reports = rotate(engine, Sealer(f"{NEW},{OLD}"), batch_size=2)

    assert sum(r.resealed for r in reports) == len(wanted)
    assert [r.failed for r in reports if r.failed] == []
    assert sum(r.current + r.changed_meanwhile for r in reports) == 0
    for model, key, column, value in wanted:
        assert opened_with_the_new_key_alone(engine, model, key, column) == value
    with Session(engine) as session:  # the application's own reading, the old key removed
        found = registration(session, "c-1", Sealer(NEW))
        assert found is not None and found.content == "投诉 c-1"

    again = rotate(engine, Sealer(f"{NEW},{OLD}"), batch_size=2)
    assert (sum(r.resealed for r in again), sum(r.current for r in again)) == (0, len(wanted))


def test_an_interrupted_rotation_keeps_its_batches_and_the_next_run_finishes(
    engine: Engine,
) -> None:
    wanted = written_before_the_binding(engine)
    batches: list[int] = []

    def stop_after_two_batches(report: ColumnReport) -> None:
        batches.append(report.resealed)
        if len(batches) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate(engine, Sealer(f"{NEW},{OLD}"), batch_size=1, progress=stop_after_two_batches)
    finished = rotate(engine, Sealer(f"{NEW},{OLD}"), batch_size=1)

    assert sum(r.current for r in finished) == 2  # the two committed batches
    assert sum(r.resealed for r in finished) == len(wanted) - 2
    for model, key, column, value in wanted:
        assert opened_with_the_new_key_alone(engine, model, key, column) == value


def test_a_bound_value_moved_to_another_row_is_refused_and_left_alone(engine: Engine) -> None:
    written_before_the_binding(engine)
    with session_scope(engine) as session:  # someone with database access copies c-3's data
        source = session.get(Case, "c-3")
        target = session.get(Case, "c-2")
        assert source is not None and target is not None and source.sealed is not None
        assert Sealer(OLD).open_column(source, "sealed")["content"] == "投诉 c-3"
        target.sealed = moved_there = source.sealed
        session.add(target)

    reports = rotate(engine, Sealer(f"{NEW},{OLD}"))

    (report,) = [r for r in reports if (r.table, r.column) == ("complaint_case", "sealed")]
    assert report.failed == ["c-2"]
    with Session(engine) as session:
        moved = session.exec(select(Case.sealed).where(Case.id == "c-2")).one()
        assert moved == moved_there  # left for the operator to look at


@pytest.fixture
def cli_store(
    engine: Engine, fresh_store: FreshStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    monkeypatch.setenv("XUEJI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", fresh_store.url)
    monkeypatch.setenv("XUEJI_STORE_KEYS", f"{NEW},{OLD}")
    # The file of the attachment row of `rows()`, sealed under the old key in the folder.
    LocalBlobs(tmp_path / "data" / "attachments").put(
        "a" * 32, Sealer(OLD).seal_bytes(b"%PDF-1.4", bound_to=blob_binding("a" * 32))
    )
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def test_the_command_reports_counts_and_says_when_the_old_key_may_go(cli_store: Engine) -> None:
    wanted = written_before_the_binding(cli_store)

    first = runner.invoke(app, ["keys", "rotate", "--batch-size", "2"])
    second = runner.invoke(app, ["keys", "rotate"])

    assert first.exit_code == 0, first.output
    assert "当前密钥：k2" in first.output
    assert "complaint_case.sealed：重新封存 3 个，原已是当前密钥 0 个" in first.output
    assert "case_attachment.blob：重新封存 1 个，原已是当前密钥 0 个" in first.output  # the file
    files = len(wanted) + 1
    assert f"合计：重新封存 {files} 个，原已是当前密钥 0 个，无法打开 0 个" in first.output
    assert "旧密钥可以从 XUEJI_STORE_KEYS 中删除" in first.output
    assert second.exit_code == 0, second.output
    assert f"合计：重新封存 0 个，原已是当前密钥 {files} 个" in second.output
    assert "张晓明" not in first.output + second.output


def test_the_command_fails_naming_rows_the_keys_cannot_open(
    cli_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    written_before_the_binding(cli_store)
    monkeypatch.setenv("XUEJI_STORE_KEYS", NEW)  # the old key removed too early
    get_settings.cache_clear()

    result = runner.invoke(app, ["keys", "rotate"])

    assert result.exit_code == 1
    assert "complaint_case.sealed 行 c-1" in result.output
    assert "staff_user.totp_secret 行 1" in result.output
    assert "暂勿删除旧密钥" in result.output
    with Session(cli_store) as session:  # nothing it could not open was touched
        row = session.get(Case, "c-1")
        assert row is not None and row.sealed is not None
        assert Sealer(OLD).open_column(row, "sealed")["content"] == "投诉 c-1"


def test_a_new_key_is_generated_with_its_id() -> None:
    result = runner.invoke(app, ["keys", "generate", "k3"])
    assert result.exit_code == 0, result.output
    assert Sealer(result.output.strip()).active_key_id == "k3"
    sm4 = runner.invoke(app, ["keys", "generate", "sm4-s2"])
    assert sm4.exit_code == 0 and Sealer(sm4.output.strip()).active_key_id == "sm4-s2"
    assert len(base64.b64decode(sm4.output.strip().partition(":")[2])) == 16
    refused = runner.invoke(app, ["keys", "generate", "坏"])
    assert refused.exit_code == 1 and "密钥编号" in refused.output


def test_a_move_from_aes_to_sm4_and_hmac_sm3_by_rotation(engine: Engine) -> None:
    """The national algorithms by rotation: a new SM4 store key first, an SM3 look-up key;
    afterwards the AES key can go and cases are found by number under HMAC-SM3."""
    wanted = written_before_the_binding(engine)
    sm4 = f"sm4-s1:{generate_key('sm4-s1')}"
    sm3_lookup = parse_lookup_key(f"sm3:{generate_key()}")

    reports = rotate(engine, Sealer(f"{sm4},{OLD}"))
    lookups = rehash_lookups(engine, Sealer(f"{sm4},{OLD}"), sm3_lookup)

    assert sum(r.resealed for r in reports) == len(wanted)
    assert (lookups.cases, lookups.changed, lookups.failed) == (3, 3, [])
    assert (lookups.codes, lookups.codes_changed, lookups.codes_failed) == (1, 1, [])
    with Session(engine) as session:
        for model, key, column, value in wanted:
            row = session.get(model, key if len(key) > 1 else key[0])
            assert row is not None and getattr(row, column).startswith(b"XS2\x06sm4-s1")
            assert Sealer(sm4).open_column(row, column) == value
        found = cases_by_complainant(
            session=session, kind="phone", value="138 1234 5678", lookup_key=sm3_lookup
        )
        assert sorted(case.id for case in found) == ["c-1", "c-2", "c-3"]
        intake = session.get(Intake, "c-1")  # the complainant's query code still answers
        assert intake is not None
        assert intake.query_code_hash == code_hash("Tc-1", "123456", sm3_lookup)
    again = rehash_lookups(engine, Sealer(sm4), sm3_lookup)
    assert (again.cases, again.changed, again.codes_changed) == (3, 0, 0)
