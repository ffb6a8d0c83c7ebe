"""Who sees which case (DESIGN §7), on both stores: the handling unit, its superiors, and the
units on a slip's route; never a sibling. The list filters and pages."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from domain.process import Channel, SlipKind
from domain.records import CaseRecord, SlipRecord, SlipState
from store import queries
from store.db import make_engine, session_scope
from store.migrate import upgrade
from store.org import replace_tree
from store.queries import CaseFilter, slips_through, visible_case, visible_cases
from tests.support.case_support import T0, snapshot, write
from tests.support.demo import demo_tree

MINISTRY, HEBEI, SHIJIAZHUANG, CHANG_AN, QIAO_XI, XIN_HUA = (
    "000000",
    "130000",
    "130100",
    "130102",
    "130104",
    "130105",
)


@pytest.fixture
def engine(demo_store_url: str) -> Iterator[Engine]:
    """This test's store holding the demo tree."""
    engine = make_engine(demo_store_url)
    yield engine
    engine.dispose()


def slip(slip_id: str, route: list[str]) -> SlipRecord:
    state = SlipState(
        slip_id=slip_id,
        kind=SlipKind.VERIFICATION,
        round=1,
        issuer=route[0],
        addressee=route[-1],
        route=route,
        sent_at=T0,
    )
    return SlipRecord(slip=state)


def seen_by(session: Session, unit: str) -> set[str]:
    page = visible_cases(session=session, unit_code=unit, filters=CaseFilter())
    return {case.id for case in page.cases}


def test_the_handling_unit_and_its_superiors_see_a_case_siblings_do_not(engine: Engine) -> None:
    write(engine, CaseRecord(complaint_id="county-case", case=snapshot(CHANG_AN)))
    with Session(engine) as session:
        for unit in (CHANG_AN, SHIJIAZHUANG, HEBEI, MINISTRY):
            assert seen_by(session, unit) == {"county-case"}, unit
            assert visible_case(session=session, unit_code=unit, case_id="county-case")
        assert seen_by(session, QIAO_XI) == set()
        assert visible_case(session=session, unit_code=QIAO_XI, case_id="county-case") is None
        assert visible_case(session=session, unit_code=CHANG_AN, case_id="no-such") is None


def test_the_registering_unit_sees_a_case_it_passed_up_not_a_siblings(engine: Engine) -> None:
    # Chang'an took the call about a city school (市直属): the city handles it.
    write(
        engine, CaseRecord(complaint_id="up", case=snapshot(SHIJIAZHUANG, receiving_unit=CHANG_AN))
    )
    with Session(engine) as session:
        for unit in (CHANG_AN, SHIJIAZHUANG, HEBEI, MINISTRY):
            assert seen_by(session, unit) == {"up"}, unit
        assert seen_by(session, QIAO_XI) == set()  # its sibling still learns nothing

    # Qiaoxi took a call about a Chang'an school: Chang'an's case, not Qiaoxi's to follow.
    write(
        engine, CaseRecord(complaint_id="beside", case=snapshot(CHANG_AN, receiving_unit=QIAO_XI))
    )
    with Session(engine) as session:
        assert seen_by(session, QIAO_XI) == set()
        assert seen_by(session, CHANG_AN) == {"up", "beside"}


def test_a_slip_route_opens_the_case_to_the_units_on_it(engine: Engine) -> None:
    write(
        engine,
        CaseRecord(
            complaint_id="city-case",
            case=snapshot(SHIJIAZHUANG),
            slips=[slip("V1", [SHIJIAZHUANG, QIAO_XI])],
        ),
    )
    with Session(engine) as session:
        assert seen_by(session, QIAO_XI) == {"city-case"}
        assert seen_by(session, CHANG_AN) == set()
        assert [s.slip_id for s in slips_through(session=session, unit_code=QIAO_XI)] == ["V1"]
        assert slips_through(session=session, unit_code=CHANG_AN) == []

    # A later record with another slip adds its units and keeps the first slip's.
    write(
        engine, CaseRecord(complaint_id="city-case", slips=[slip("V2", [SHIJIAZHUANG, CHANG_AN])])
    )
    with Session(engine) as session:
        assert seen_by(session, CHANG_AN) == {"city-case"}
        assert seen_by(session, QIAO_XI) == {"city-case"}
        assert seen_by(session, XIN_HUA) == set()


def test_a_ruling_that_moves_the_case_moves_who_sees_it(engine: Engine) -> None:
    write(engine, CaseRecord(complaint_id="moved", case=snapshot(CHANG_AN)))
    write(engine, CaseRecord(complaint_id="moved", case=snapshot(QIAO_XI)))
    with Session(engine) as session:
        assert seen_by(session, CHANG_AN) == set()
        assert seen_by(session, QIAO_XI) == {"moved"}
        assert seen_by(session, SHIJIAZHUANG) == {"moved"}


def test_filters_and_pages(engine: Engine) -> None:
    for day in range(5):
        write(
            engine,
            CaseRecord(
                complaint_id=f"c{day}",
                case=replace(
                    snapshot(CHANG_AN),
                    tracking_no=f"TRACK{day}",
                    received_at=T0 + timedelta(days=day),
                    overdue=day % 2 == 0,
                    channel=Channel.PHONE if day == 4 else Channel.WEB,
                ),
            ),
        )
    with Session(engine) as session:

        def ids(**filters: object) -> list[str]:
            page = visible_cases(
                session=session,
                unit_code=HEBEI,
                filters=CaseFilter(**filters),  # type: ignore[arg-type]
            )
            return [case.id for case in page.cases]

        assert ids() == ["c4", "c3", "c2", "c1", "c0"]  # newest first
        assert ids(overdue=True) == ["c4", "c2", "c0"]
        assert ids(channel="phone") == ["c4"]
        assert ids(handling_unit=QIAO_XI) == []
        assert ids(province="330000") == []
        assert ids(received_from=T0 + timedelta(days=1), received_to=T0 + timedelta(days=3)) == [
            "c2",
            "c1",
        ]
        page = visible_cases(
            session=session, unit_code=HEBEI, filters=CaseFilter(), offset=2, limit=2
        )
        assert (page.total, [case.id for case in page.cases]) == (5, ["c2", "c1"])
        assert not page.total_capped


def test_the_total_stops_counting_at_the_cap_and_the_pages_go_on(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list counts at most COUNT_CAP cases (10,000; 3 here) and says so: a page of the
    country's cases does not count a million rows."""
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    for day in range(5):
        case = replace(snapshot(CHANG_AN), tracking_no=f"T{day}", overdue=day < 3)
        write(engine, CaseRecord(complaint_id=f"c{day}", case=case))
    with Session(engine) as session:

        def page(unit: str, offset: int = 0, **filters: object) -> tuple[int, bool, list[str]]:
            found = visible_cases(
                session=session,
                unit_code=unit,
                filters=CaseFilter(**filters),  # type: ignore[arg-type]
                offset=offset,
                limit=2,
            )
            return found.total, found.total_capped, [case.id for case in found.cases]

        assert page(MINISTRY) == (3, True, ["c0", "c1"])  # received together: by id
        assert page(MINISTRY, offset=4) == (3, True, ["c4"])  # past the cap
        assert page(MINISTRY, offset=4, handling_unit=CHANG_AN) == (3, True, ["c4"])
        assert page(MINISTRY, offset=2, handling_unit=CHANG_AN) == (3, True, ["c2", "c3"])
        assert page(CHANG_AN, overdue=True) == (3, False, ["c0", "c1"])  # exactly the cap
        assert page(CHANG_AN, overdue=False) == (2, False, ["c3", "c4"])
        assert page(QIAO_XI) == (0, False, [])


def test_the_migration_opens_cases_stored_before_it(store_url: str) -> None:
    upgrade(store_url, "0002")
    engine = make_engine(store_url)
    try:
        with session_scope(engine) as session:
            tree = demo_tree()
            replace_tree(session=session, tree=tree)
            session.execute(
                text(
                    "INSERT INTO complaint_case (id, tracking_no, channel, stage, receiving_unit,"
                    " handling_unit, province, received_at, updated_at, overdue,"
                    " escalation_level, outcome, phone_masked) VALUES ('old', 'T1', 'web',"
                    " 'verification', :unit, :unit, :province, :at, :at, false, 0, '', '')"
                ),
                {"unit": CHANG_AN, "province": HEBEI, "at": T0.isoformat()},
            )
            session.execute(
                text(
                    "INSERT INTO case_slip (case_id, slip_id, kind, round, issuer, addressee,"
                    " route, hops, status, sent_at) VALUES ('old', 'V1', 'verification', 1,"
                    " :unit, :other, :route, '[]', 'open', :at)"
                ),
                {
                    "unit": CHANG_AN,
                    "other": QIAO_XI,
                    "route": f'["{CHANG_AN}", "{SHIJIAZHUANG}", "{QIAO_XI}"]',
                    "at": T0.isoformat(),
                },
            )
        upgrade(store_url)
        with Session(engine) as session:
            for unit in (CHANG_AN, SHIJIAZHUANG, HEBEI, MINISTRY, QIAO_XI):
                assert seen_by(session, unit) == {"old"}, unit
            assert seen_by(session, XIN_HUA) == set()
    finally:
        engine.dispose()
