"""The indexes the console's busiest reads need with 100,000 cases (bench/pages.py), on both
stores: a unit's open steps (待办, store/inbox.py), only its own running clocks, soonest due
first, read by the clocks' unit and status; and the case lists, newest first, by received
time."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, inspect
from sqlmodel import Session

from domain.process import SlipKind
from domain.records import CaseRecord, Clock, ClockStatus, SlipRecord, SlipState
from store.db import make_engine
from store.inbox import open_steps
from store.queries import CaseFilter, visible_cases
from tests.support.case_support import T0, snapshot, write

SHIJIAZHUANG, CHANG_AN = "130100", "130102"


@pytest.fixture
def engine(demo_store_url: str) -> Iterator[Engine]:
    engine = make_engine(demo_store_url)
    yield engine
    engine.dispose()


def clock(key: str, unit: str, days: int, status: ClockStatus = ClockStatus.OPEN) -> Clock:
    due = T0 + timedelta(days=days)
    return Clock(
        key=key,
        label=f"步骤 {key}",
        unit=unit,
        started_at=T0,
        due=due,
        remind_at=due - timedelta(days=2),
        estimated=False,
        status=status,
    )


def fill(engine: Engine) -> None:
    write(
        engine,
        CaseRecord(
            complaint_id="city-late",
            case=snapshot(SHIJIAZHUANG, tracking_no="T1"),
            clocks=[
                clock("verify_issue-1", SHIJIAZHUANG, 3, ClockStatus.MET),
                clock("opinion-1", SHIJIAZHUANG, 9),
            ],
        ),
    )
    slip = SlipState(
        slip_id="V1",
        kind=SlipKind.VERIFICATION,
        round=1,
        issuer=SHIJIAZHUANG,
        addressee=CHANG_AN,
        route=[SHIJIAZHUANG, CHANG_AN],
        sent_at=T0,
        clock=clock("slip-V1", CHANG_AN, 4),
    )
    write(
        engine,
        CaseRecord(
            complaint_id="city-soon",
            case=snapshot(SHIJIAZHUANG, tracking_no="T2"),
            clocks=[clock("verify_issue-1", SHIJIAZHUANG, 5)],
            slips=[SlipRecord(slip=slip)],
        ),
    )
    write(
        engine,
        CaseRecord(
            complaint_id="county",
            case=snapshot(CHANG_AN, tracking_no="T3"),
            clocks=[clock("verify_issue-1", CHANG_AN, 1)],
        ),
    )


def test_a_unit_reads_only_its_own_open_clocks_soonest_first(engine: Engine) -> None:
    fill(engine)
    with Session(engine) as session:
        city = [(s.case.id, s.clock.key, s.slip) for s in open_steps(session, SHIJIAZHUANG)]
        county = [(s.case.id, s.clock.key) for s in open_steps(session, CHANG_AN)]
        county_slips = [s.slip.slip_id for s in open_steps(session, CHANG_AN) if s.slip]
    assert city == [("city-soon", "verify_issue-1", None), ("city-late", "opinion-1", None)]
    assert county == [("county", "verify_issue-1"), ("city-soon", "slip-V1")]
    assert county_slips == ["V1"]


def test_the_open_steps_are_read_by_the_index_of_unit_and_status(engine: Engine) -> None:
    """Without the index a unit's inbox read every clock of every case: 0.5–1 s with 100,000
    cases (bench/pages.py)."""
    fill(engine)
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("case_step")}
    assert indexes["ix_case_step_unit_status"] == ["unit", "status"]
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL plans by its statistics: a tiny table is read whole
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "case_step" in statement and "FROM case_step" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    with Session(engine) as session:
        open_steps(session, SHIJIAZHUANG)
    event.remove(engine, "before_cursor_execute", seen)
    [(statement, parameters)] = statements
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "case_step USING INDEX ix_case_step_unit_status" in details, details
    assert "SCAN case_step" not in details, details


def test_the_case_lists_read_the_units_access_rows_by_received_time_and_keep_their_order(
    engine: Engine,
) -> None:
    """A page is a backward range of the unit's access rows by received time, whatever the
    planner thinks of the unit's size: joining the access rows to the cases and ordering by
    the cases' time let PostgreSQL walk every case newest first or read all the unit's cases
    and sort them, 35 ms or 0.8–8 s for the same page with 1,000,000 cases
    (bench/oversight.py)."""
    fill(engine)
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("case_access")}
    assert indexes["ix_case_access_unit_received"] == ["unit_code", "received_at", "case_id"]
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    with Session(engine) as session:
        visible_cases(session=session, unit_code=SHIJIAZHUANG, filters=CaseFilter())
    event.remove(engine, "before_cursor_execute", seen)
    [(statement, parameters)] = statements
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            details = " ".join(str(row[-1]) for row in plan)
            assert "INDEX ix_case_access_unit_received" in details, details
            assert "TEMP B-TREE FOR ORDER BY" not in details, details  # its right part only
        else:  # a tiny table is best read whole and sorted; the plan of a big one:
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                connection.exec_driver_sql(f"SET {setting} = off")
            plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            details = "\n".join(str(row[0]) for row in plan)
            assert "Scan Backward using ix_case_access_unit_received" in details, details
            assert "disabled" not in details.lower(), details  # no sort it had to keep
    write(
        engine,
        CaseRecord(
            complaint_id="city-newer",
            case=snapshot(SHIJIAZHUANG, tracking_no="T4", received_at=T0 + timedelta(hours=1)),
        ),
    )
    with Session(engine) as session:
        page = visible_cases(session=session, unit_code=SHIJIAZHUANG, filters=CaseFilter())
        first = visible_cases(
            session=session, unit_code=SHIJIAZHUANG, filters=CaseFilter(), limit=2
        )
        rest = visible_cases(
            session=session, unit_code=SHIJIAZHUANG, filters=CaseFilter(), offset=2, limit=2
        )
    # Newest first; cases received at the same time by id.
    expected = ["city-newer", "city-late", "city-soon", "county"]
    assert [case.id for case in page.cases] == expected
    assert [case.id for case in first.cases + rest.cases] == expected
    assert page.total == first.total == rest.total == 4
