"""The tree look-ups the workflows ask for, over the stored demo tree."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.org import OrgActivities
from domain.orgtree import OrgTree
from store.db import make_engine, session_scope
from store.models import Unit
from store.org import replace_tree
from store.tree import StoreTree
from tests.support.demo import DEMO_SCHOOLS_CSV, DEMO_UNITS_CSV
from workflows.messages.activities import (
    PathRequest,
    PathsRequest,
    RouteRequest,
    Routing,
    RulingRequest,
)


@pytest.fixture
def engine(demo_store_url: str) -> Iterator[Engine]:
    """This test's store holding the demo tree."""
    engine = make_engine(demo_store_url)
    yield engine
    engine.dispose()


async def test_route_complaint_forwards_down_to_the_city(engine: Engine) -> None:
    org = OrgActivities(StoreTree(engine))
    routing = await ActivityEnvironment().run(
        org.route_complaint,
        RouteRequest(
            receiving_unit="130000", school_codes=["2130102001", "2130104001"], unit_codes=[]
        ),
    )
    assert routing == Routing(
        handling_unit="130100",
        province="130000",
        route=["130000", "130100"],
        related_units=["130102", "130104"],
        hotline="0000-6130100",
        reviewing_unit="130000",
    )


async def test_paths_rulings_and_the_corps(engine: Engine) -> None:
    org = OrgActivities(StoreTree(engine))
    env = ActivityEnvironment()
    assert await env.run(org.unit_path, PathRequest(from_code="130100", to_code="2130102001")) == [
        "130100",
        "130102",
        "2130102001",
    ]
    assert await env.run(org.ruling_unit, RulingRequest(parties=["130100", "130102"])) == "130000"
    both = PathsRequest(from_code="130100", to_codes=["2130102001", "130104"])
    assert await env.run(org.unit_paths, both) == [
        ["130100", "130102", "2130102001"],
        ["130100", "130104"],
    ]
    corps = await env.run(
        org.route_complaint,
        RouteRequest(receiving_unit="000000", school_codes=[], unit_codes=["660100", "660200"]),
    )
    assert (corps.handling_unit, corps.province) == ("660000", "660000")


async def test_unknown_code_is_named_and_not_retried(engine: Engine) -> None:
    org = OrgActivities(StoreTree(engine))
    env = ActivityEnvironment()
    with pytest.raises(ApplicationError) as raised:
        await env.run(org.unit_path, PathRequest(from_code="130100", to_code="139999"))
    assert raised.value.non_retryable and "139999" in raised.value.message
    assert raised.value.type == "UnknownCode"
    with pytest.raises(ApplicationError) as among:
        request = PathsRequest(from_code="130100", to_codes=["130104", "139999"])
        await env.run(org.unit_paths, request)
    assert among.value.non_retryable and "139999" in among.value.message

    with pytest.raises(ApplicationError) as school:
        await env.run(
            org.route_complaint,
            RouteRequest(receiving_unit="130000", school_codes=["2139999001"], unit_codes=[]),
        )
    assert (school.value.type, school.value.message) == (
        "UnknownCode",
        "学校标识码 2139999001 不存在",
    )

    with pytest.raises(ApplicationError) as empty:
        await env.run(
            org.route_complaint,
            RouteRequest(receiving_unit="130000", school_codes=[], unit_codes=[]),
        )
    assert empty.value.non_retryable and empty.value.type == "RoutingError"


async def test_a_new_import_is_seen_without_restart(engine: Engine, tmp_path: Path) -> None:
    tree = StoreTree(engine, recheck_seconds=0)
    assert "139999" not in {unit.code for unit in tree().units()}
    (tmp_path / "units.csv").write_text(
        (DEMO_UNITS_CSV).read_text(encoding="utf-8") + "139999,新设县教育局,county,130100,,\n",
        encoding="utf-8",
    )
    with session_scope(engine) as session:
        replace_tree(session=session, tree=OrgTree.load(tmp_path / "units.csv", DEMO_SCHOOLS_CSV))
    assert tree().unit("139999").parent_code == "130100"


def import_demo_schools_changed(engine: Engine, tmp_path: Path, old: str, new: str) -> None:
    """Import the demo tree with one line of its schools file changed from `old` to `new`."""
    schools = (DEMO_SCHOOLS_CSV).read_text(encoding="utf-8")
    assert old in schools
    (tmp_path / "schools.csv").write_text(schools.replace(old, new), encoding="utf-8")
    with session_scope(engine) as session:
        replace_tree(session=session, tree=OrgTree.load(DEMO_UNITS_CSV, tmp_path / "schools.csv"))


async def test_a_school_moved_to_another_county_is_seen(engine: Engine, tmp_path: Path) -> None:
    tree = StoreTree(engine, recheck_seconds=0)
    assert tree().supervising_unit("2130102001").code == "130102"
    import_demo_schools_changed(
        engine, tmp_path, "2130102001,长安区第一中学,130102", "2130102001,长安区第一中学,130104"
    )
    assert tree().supervising_unit("2130102001").code == "130104"


async def test_a_new_phone_or_name_is_seen_without_restart(engine: Engine) -> None:
    """A county publishes a new complaint phone (a campaign, or its sysadmin): a referral gives
    callers the new one at once, not after a restart."""
    tree = StoreTree(engine, recheck_seconds=0)
    assert tree().unit("130102").phone == "0000-6130102"
    with session_scope(engine) as session:
        unit = session.get(Unit, "130102")
        assert unit is not None
        unit.phone, unit.name = "0311-86001000", "石家庄市长安区教育局"
        session.add(unit)
    assert (tree().unit("130102").phone, tree().unit("130102").name) == (
        "0311-86001000",
        "石家庄市长安区教育局",
    )


async def test_a_school_only_renamed_is_seen_without_restart(
    engine: Engine, tmp_path: Path
) -> None:
    tree = StoreTree(engine, recheck_seconds=0)
    assert tree().school("2130102001").name == "长安区第一中学"
    import_demo_schools_changed(
        engine, tmp_path, "2130102001,长安区第一中学,", "2130102001,长安区第一高级中学,"
    )
    assert tree().school("2130102001").name == "长安区第一高级中学"
