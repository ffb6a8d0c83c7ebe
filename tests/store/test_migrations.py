"""The migrations build exactly the tables the models describe, on both stores."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel, col, select

import store.models  # noqa: F401  (registers the tables)
from core.keys import DEV_AUDIT_KEY_SPEC, DEV_KEY_SPEC, DEV_LOOKUP_KEY, AuditKeys, parse_lookup_key
from core.settings import get_settings
from store import audit, audit_chain
from store.db import make_engine, session_scope
from store.intake import code_hash, legacy_code_hash
from store.migrate import alembic_config, upgrade
from store.models import AuditRecord, CaseAccess
from store.queries import CaseFilter, visible_cases
from store.sealing import Sealer, binding
from store.search_index import student_name_hash, token_hashes


def test_migrations_match_the_models(store_url: str) -> None:
    upgrade(store_url)
    engine = make_engine(store_url)
    try:
        with engine.connect() as connection:
            # Types differ harmlessly (Text vs VARCHAR); tables, columns, indexes must not.
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []


def _unit_columns_and_tables(store_url: str) -> tuple[set[str], set[str], int]:
    engine = make_engine(store_url)
    try:
        inspector = inspect(engine)
        columns = {column["name"] for column in inspector.get_columns("org_unit")}
        with engine.connect() as connection:
            units = connection.execute(text("SELECT count(*) FROM org_unit")).scalar_one()
        return columns, set(inspector.get_table_names()), units
    finally:
        engine.dispose()


def test_0008_directory_faq_goes_down_and_up_keeping_the_units(store_url: str) -> None:
    upgrade(store_url)
    engine = make_engine(store_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO org_unit (code, name, level, phone, email) "
                    "VALUES ('000000', '教育部', 'national', '', '')"
                )
            )
    finally:
        engine.dispose()

    downgrade(alembic_config(store_url), "0007_intake")
    columns, tables, units = _unit_columns_and_tables(store_url)
    assert "contact_confirmed_at" not in columns and "faq" not in tables and units == 1

    upgrade(store_url)
    columns, tables, units = _unit_columns_and_tables(store_url)
    assert "contact_confirmed_at" in columns and "faq" in tables and units == 1


def test_0012_gives_the_registering_unit_access_to_the_cases_it_passed_up(
    store_url: str,
) -> None:
    upgrade(store_url, "0011_campaign_estimate")
    engine = make_engine(store_url)
    units = [("000000", None), ("130000", "000000"), ("130100", "130000")]
    units += [("130102", "130100"), ("130104", "130100")]
    # (case, registered by, handled by): passed up to the city, kept, and a sibling's case.
    cases = [("c-up", "130102", "130100"), ("c-same", "130100", "130100")]
    cases += [("c-sibling", "130104", "130102")]
    try:
        with engine.begin() as connection:
            for code, parent in units:
                connection.execute(
                    text(
                        "INSERT INTO org_unit (code, name, level, parent_code, phone, email)"
                        " VALUES (:code, :code, 'county', :parent, '', '')"
                    ),
                    {"code": code, "parent": parent},
                )
            for case_id, receiving, handling in cases:
                connection.execute(
                    text(
                        "INSERT INTO complaint_case (id, tracking_no, channel, stage,"
                        " receiving_unit, handling_unit, province, received_at, updated_at,"
                        " overdue, escalation_level, outcome, phone_masked) VALUES (:id, :id,"
                        " 'phone', 'verify_issue', :receiving, :handling, '130000',"
                        " '2030-03-04 09:00:00+08:00', '2030-03-04 09:00:00+08:00', false, 0,"
                        " '', '')"
                    ),
                    {"id": case_id, "receiving": receiving, "handling": handling},
                )
                connection.execute(
                    text("INSERT INTO case_access (case_id, unit_code) VALUES (:c, :u)"),
                    {"c": case_id, "u": handling},
                )

        upgrade(store_url)

        with engine.connect() as connection:
            rows = connection.execute(text("SELECT case_id, unit_code FROM case_access")).all()
    finally:
        engine.dispose()
    assert sorted(rows) == [
        ("c-same", "130100"),
        ("c-sibling", "130102"),
        ("c-up", "130100"),
        ("c-up", "130102"),
    ]


def test_0016_fills_case_school_from_the_registrations_the_store_keys_open(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(store_url, "0015_org_imports")
    registration = {"complainant": {"name": "张晓明"}, "content": "学籍"}
    registration["school_codes"] = ["1301020001", "1301040001", "1301020001"]
    # (case, sealed registration): one the keys open, one they cannot, one not yet sealed.
    bound_to = binding("complaint_case", "sealed", "c-open")
    sealed = Sealer(DEV_KEY_SPEC).seal(registration, bound_to=bound_to)
    cases = [("c-open", sealed), ("c-garbled", b"garbled")]
    cases += [("c-bare", None)]
    engine = make_engine(store_url)
    try:
        _insert_cases(engine, cases)
        monkeypatch.setenv("XUEJI_STORE_KEYS", DEV_KEY_SPEC)
        get_settings.cache_clear()
        try:
            upgrade(store_url)
        finally:
            get_settings.cache_clear()
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT case_id, school_code FROM case_school")).all()
    finally:
        engine.dispose()
    assert sorted(rows) == [("c-open", "1301020001"), ("c-open", "1301040001")]


def test_0017_lets_accounts_belong_to_schools_and_takes_case_access_from_schools(
    store_url: str,
) -> None:
    upgrade(store_url, "0016_case_schools")
    engine = make_engine(store_url)
    user = (
        "INSERT INTO staff_user (username, display_name, unit_code, role, password_hash,"
        " password_changed_at, must_change_password, failed_logins, totp_enrolled,"
        " totp_last_step, active, created_at) VALUES (:name, :name, :unit, 'handler', 'h',"
        " '2030-03-04 09:00:00+08:00', false, 0, false, 0, true, '2030-03-04 09:00:00+08:00')"
    )
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO org_unit (code, name, level, phone, email)"
                    " VALUES ('130102', '长安区教育局', 'county', '', '')"
                )
            )
            connection.execute(text(user), {"name": "county", "unit": "130102"})
            connection.execute(
                text("INSERT INTO case_access (case_id, unit_code) VALUES (:c, :u)"),
                [{"c": "c-1", "u": "130102"}, {"c": "c-1", "u": "2130102001"}],
            )

        upgrade(store_url, "0017_school_accounts")  # 0036 drops access rows of no case
        with engine.begin() as connection:
            connection.execute(text(user), {"name": "school", "unit": "2130102001"})
            access = connection.execute(text("SELECT unit_code FROM case_access")).all()
        assert access == [("130102",)]

        downgrade(alembic_config(store_url), "0016_case_schools")
        with engine.connect() as connection:
            users = connection.execute(text("SELECT username FROM staff_user")).all()
        assert users == [("county",)]  # a school's account has no bureau to go back to
    finally:
        engine.dispose()


def test_0019_fills_the_search_index_from_the_registrations_the_store_keys_open(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(store_url, "0016_case_schools")
    registration = {"complainant": {"name": "张晓明"}, "content": "学籍重复", "school_codes": []}
    registration["students"] = [{"name": "王小红", "id_card": "", "student_no": ""}]
    # (case, sealed registration): one the keys open, one they cannot, one not yet sealed.
    bound_to = binding("complaint_case", "sealed", "c-open")
    sealed = Sealer(DEV_KEY_SPEC).seal(registration, bound_to=bound_to)
    cases = [("c-open", sealed), ("c-garbled", b"garbled")]
    cases += [("c-bare", None)]
    engine = make_engine(store_url)
    try:
        _insert_cases(engine, cases)
        _upgrade_with_the_development_keys(store_url, monkeypatch)
        with engine.connect() as connection:
            names = connection.execute(text("SELECT case_id, name_hash FROM case_student_name"))
            tokens = connection.execute(text("SELECT case_id, token_hash FROM case_text_token"))
            names_held, tokens_held = names.all(), tokens.all()
    finally:
        engine.dispose()
    key = parse_lookup_key(DEV_LOOKUP_KEY)
    assert names_held == [("c-open", student_name_hash("王小红", key))]
    assert sorted(tokens_held) == sorted(("c-open", h) for h in token_hashes("学籍重复", key))


def _upgrade_with_the_development_keys(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The newest revision, the migrations reading the settings' store and look-up keys (the
    development ones here) to open what they backfill from."""
    monkeypatch.setenv("XUEJI_STORE_KEYS", DEV_KEY_SPEC)
    monkeypatch.setenv("XUEJI_LOOKUP_KEY", DEV_LOOKUP_KEY)
    get_settings.cache_clear()
    try:
        upgrade(store_url)
    finally:
        get_settings.cache_clear()


def _insert_cases(engine: Engine, cases: list[tuple[str, bytes | None]]) -> None:
    """Bare case rows of 长安区 with their sealed registrations, as older revisions wrote them."""
    with engine.begin() as connection:
        for case_id, sealed in cases:
            connection.execute(
                text(
                    "INSERT INTO complaint_case (id, tracking_no, channel, stage,"
                    " receiving_unit, handling_unit, province, received_at, updated_at,"
                    " overdue, escalation_level, outcome, phone_masked, sealed) VALUES"
                    " (:id, :id, 'phone', 'verify_issue', '130102', '130102', '130000',"
                    " '2030-03-04 09:00:00+08:00', '2030-03-04 09:00:00+08:00', false, 0,"
                    " '', '', :sealed)"
                ),
                {"id": case_id, "sealed": sealed},
            )


def test_0020_marks_the_rows_tried_before_it_as_mailed(store_url: str) -> None:
    upgrade(store_url, "0019_search_index")
    engine = make_engine(store_url)
    try:
        with engine.begin() as connection:
            for key, attempts in (("tried", 2), ("new", 0)):
                connection.execute(
                    text(
                        "INSERT INTO notification_outbox (key, case_id, kind, recipient_unit,"
                        " to_complainant, text, created_at, attempts, last_error) VALUES"
                        " (:key, 'c-1', 'overdue', '130102', false, '超期',"
                        " '2030-03-04 09:00:00+08:00', :attempts, '')"
                    ),
                    {"key": key, "attempts": attempts},
                )
        upgrade(store_url)
        with engine.connect() as connection:
            query = "SELECT key, channel FROM notification_outbox ORDER BY key"
            assert connection.execute(text(query)).all() == [("new", None), ("tried", "email")]
        downgrade(alembic_config(store_url), "0019_search_index")
        columns = {c["name"] for c in inspect(engine).get_columns("notification_outbox")}
        assert "channel" not in columns
    finally:
        engine.dispose()


def test_0023_keeps_the_entries_written_before_the_key_verifying(store_url: str) -> None:
    upgrade(store_url, "0022_login_guesses")
    engine = make_engine(store_url)
    at = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)
    prev = audit_chain.GENESIS
    try:
        with engine.begin() as connection:  # as 0004 to 0020 wrote them: SHA-256, no key
            for seq in (1, 2):
                entry = AuditRecord(
                    seq=seq, at=at, actor=f"clerk{seq}", actor_unit="130102",
                    actor_role="clerk", action="login", target="POST /api/auth/login",
                    result="ok", client="192.0.2.7", prev_hash=prev, hash="",
                )  # fmt: skip
                entry.hash = audit_chain.entry_hash(entry)
                row = entry.model_dump(exclude={"key_id"})
                columns = ", ".join(row)
                values = ", ".join(f":{name}" for name in row)
                connection.execute(
                    text(f"INSERT INTO audit_log ({columns}) VALUES ({values})"), row
                )
                prev = entry.hash
        upgrade(store_url)
        keys = AuditKeys(DEV_AUDIT_KEY_SPEC)
        with session_scope(engine) as session:
            audit.append(
                session=session, keys=keys, actor="clerk3", actor_unit="130102",
                actor_role="clerk", action="login", target="POST /api/auth/login",
                result="ok", client="192.0.2.7", now=at,
            )  # fmt: skip
        with Session(engine) as session:
            assert audit_chain.verify(session=session, keys=keys) is None
            third = session.get(AuditRecord, 3)
            assert third is not None and third.key_id == "dev" and third.prev_hash == prev
        downgrade(alembic_config(store_url), "0022_login_guesses")
        assert "key_id" not in {c["name"] for c in inspect(engine).get_columns("audit_log")}
    finally:
        engine.dispose()


def test_0025_keys_the_query_codes_the_store_keys_open_and_moves_the_wrong_code_counts(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(store_url, "0024_account_requests")
    sealer = Sealer(DEV_KEY_SPEC)
    code_place = binding("complaint_intake", "sealed_query_code", "c-open")
    # (complaint, number, code, sealed code, wrong codes so far): one the keys open with two
    # wrong codes counted, one sealed with a key no longer configured.
    rows = [
        ("c-open", "20300304-AAAAAA", "123456", sealer.seal("123456", bound_to=code_place), 2),
        ("c-lost", "20300304-BBBBBB", "654321", b"garbled", 0),
    ]
    engine = make_engine(store_url)
    try:
        with engine.begin() as connection:
            for complaint_id, number, code, sealed, wrong in rows:
                connection.execute(
                    text(
                        "INSERT INTO complaint_intake (complaint_id, tracking_no,"
                        " query_code_hash, sealed_query_code, registered_by, receiving_unit,"
                        " request_hash, created_at, wrong_codes, wrong_codes_since) VALUES"
                        " (:id, :no, :hash, :sealed, 'clerk', '130102', '0',"
                        " '2030-03-04 09:00:00+08:00', :wrong, :since)"
                    ),
                    {
                        "id": complaint_id, "no": number, "sealed": sealed, "wrong": wrong,
                        "hash": legacy_code_hash(number, code),
                        "since": "2030-03-04 10:00:00+08:00" if wrong else None,
                    },
                )  # fmt: skip
        _upgrade_with_the_development_keys(store_url, monkeypatch)
        with engine.connect() as connection:
            query = "SELECT complaint_id, query_code_hash FROM complaint_intake"
            hashes = {row[0]: row[1] for row in connection.execute(text(query))}
            counts = connection.execute(
                text("SELECT tracking_no, wrong_codes FROM track_guess")
            ).all()
        key = parse_lookup_key(DEV_LOOKUP_KEY)
        assert hashes == {
            "c-open": code_hash("20300304-AAAAAA", "123456", key),
            "c-lost": legacy_code_hash("20300304-BBBBBB", "654321"),  # re-keyed at its next use
        }
        assert counts == [("20300304-AAAAAA", 2)]
        downgrade(alembic_config(store_url), "0024_account_requests")
        assert "track_guess" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0036_copies_each_cases_received_time_to_its_access_rows(store_url: str) -> None:
    upgrade(store_url, "0035_files_attachments")
    engine = make_engine(store_url)
    cases = [("c-old", "2030-03-04 09:00:00+08:00"), ("c-new", "2030-03-05 09:00:00+08:00")]
    try:
        with engine.begin() as connection:
            for case_id, received in cases:
                connection.execute(
                    text(
                        "INSERT INTO complaint_case (id, tracking_no, channel, stage,"
                        " receiving_unit, handling_unit, province, received_at, updated_at,"
                        " overdue, escalation_level, outcome, phone_masked) VALUES (:id, :id,"
                        " 'phone', 'verify_issue', '130100', '130100', '130000', :at, :at,"
                        " false, 0, '', '')"
                    ),
                    {"id": case_id, "at": received},
                )
            for case_id in ("c-old", "c-new", "c-gone"):  # c-gone: no case, shows nothing
                connection.execute(
                    text("INSERT INTO case_access (case_id, unit_code) VALUES (:c, '130100')"),
                    {"c": case_id},
                )

        upgrade(store_url)

        with Session(engine) as session:
            page = visible_cases(session=session, unit_code="130100", filters=CaseFilter())
            access = session.exec(select(CaseAccess).order_by(col(CaseAccess.case_id))).all()
        downgrade(alembic_config(store_url), "0035_files_attachments")
        columns = {column["name"] for column in inspect(engine).get_columns("case_access")}
    finally:
        engine.dispose()
    assert columns == {"case_id", "unit_code"}
    assert (page.total, [case.id for case in page.cases]) == (2, ["c-new", "c-old"])
    assert [(row.case_id, row.received_at) for row in access] == [
        ("c-new", datetime(2030, 3, 5, 1, tzinfo=UTC)),
        ("c-old", datetime(2030, 3, 4, 1, tzinfo=UTC)),
    ]
