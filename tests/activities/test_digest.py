"""The daily oversight digest (督办日报): each bureau told, through the outbox, the overdue
alerts it was sent since the previous working day's digest, the alerts that climbed and its
clocks due today, its leaders a copy each; nothing on a weekend or a holiday. On both stores,
then the workflow on the time-skipping server from Thursday 4 April 2030 across the Qingming
holiday (Friday 5, estimated) and the weekend to Monday 8 April."""

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from activities.digest import send_digest_now
from domain.workdays import SHANGHAI, WorkdayCalendar
from store.db import make_engine, session_scope
from store.models import Case, CaseClock, OutboxRow
from tests.support.api_support import create_account
from tests.support.demo import CHANG_AN, CITY
from tests.support.process_support import running_process
from tests.support.stores import DEMO_TREE, FreshStore
from workflows.messages.digest import DigestResult


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 4, day, hour, minute, tzinfo=SHANGHAI)


def alert(key: str, kind: str, unit: str, created: datetime) -> OutboxRow:
    return OutboxRow(
        key=key,
        case_id="case-X",
        kind=kind,
        recipient_unit=unit,
        text=f"{key}：受理编号 X 的下发核查单已超期",
        created_at=created,
    )


def add_the_week(session: Session) -> None:
    """A case of 长安区 due on Monday 8 April, its alerts at several moments, a leader."""
    session.add(
        Case(
            id="case-X",
            tracking_no="TN-X",
            channel="web",
            stage="verify_issue",
            receiving_unit=CHANG_AN,
            handling_unit=CHANG_AN,
            province="130000",
            received_at=at(1, 9),
            updated_at=at(1, 9),
            overdue=False,
            escalation_level=0,
        )
    )
    session.add(
        CaseClock(
            case_id="case-X",
            key="verify_issue-1",
            label="下发核查单",
            unit=CHANG_AN,
            started_at=at(3, 9),
            due=datetime(2030, 4, 8, 23, 59, 59, tzinfo=SHANGHAI),
            remind_at=at(3, 9),
            estimated=True,
            status="open",
            reminded=False,
            overdue=False,
            escalation_level=0,
        )
    )
    for row in (
        alert("before", "overdue", CHANG_AN, at(3, 8, 29)),  # before Wednesday's digest
        alert("wednesday", "overdue", CHANG_AN, at(3, 15)),
        alert("climbed", "escalated", CITY, at(4, 8)),
        alert("holiday", "overdue", CHANG_AN, at(5, 10)),
        alert("saturday", "escalated", CHANG_AN, at(6, 10)),
        alert("saturday-city", "escalated", CITY, at(6, 10)),
    ):
        session.add(row)
    create_account(
        session,
        username="ca_leader",
        unit_code=CHANG_AN,
        role="leader",
        password="Correct-Horse-7",
        now=at(1, 9),
        totp=False,
    )


@pytest.fixture
def week(fresh_store: FreshStore) -> Iterator[Engine]:
    engine = make_engine(fresh_store.make(DEMO_TREE))
    with session_scope(engine) as session:
        add_the_week(session)
    yield engine
    engine.dispose()


def digests(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxRow).where(OutboxRow.kind == "digest"))
        return {row.key: row.text for row in rows}


def test_a_working_day_tells_each_unit_and_a_day_off_nothing(week: Engine) -> None:
    calendar = WorkdayCalendar()
    thursday = send_digest_now(week, calendar, at(4, 8, 30), now=at(4, 8, 30))
    assert thursday == DigestResult(day="2030-04-04", working_day=True, units=2)
    sent = digests(week)
    assert set(sent) == {
        "digest:2030-04-04:130102",
        "digest:2030-04-04:130102:@ca_leader",  # the leader's own copy, in their inbox
        "digest:2030-04-04:130100",
    }
    assert sent["digest:2030-04-04:130102"] == (
        "【督办日报】长安区教育局 2030-04-04\n"
        "新超期 1 件：\n"
        "  1. wednesday：受理编号 X 的下发核查单已超期\n"
        "督办升级 0 件\n"
        "今日到期 0 件"
    )
    assert "督办升级 1 件：\n  1. climbed：" in sent["digest:2030-04-04:130100"]

    for day in (5, 6, 7):  # Qingming (estimated), Saturday, Sunday
        skipped = send_digest_now(week, calendar, at(day, 8, 30), now=at(day, 8, 30))
        assert (skipped.working_day, skipped.units) == (False, 0)
    assert len(digests(week)) == 3

    monday = send_digest_now(week, calendar, at(8, 8, 30), now=at(8, 8, 30))
    assert monday == DigestResult(day="2030-04-08", working_day=True, units=2)
    text = digests(week)["digest:2030-04-08:130102"]
    assert "新超期 1 件：\n  1. holiday：" in text  # since Thursday's digest
    assert "督办升级 1 件：\n  1. saturday：" in text
    assert "今日到期 1 件：\n  1. TN-X「下发核查单」今日 23:59 到期" in text
    again = send_digest_now(week, calendar, at(8, 8, 31), now=at(8, 8, 31))  # a retry
    assert again.units == 2
    assert len(digests(week)) == 6


async def test_the_workflow_across_a_holiday_and_a_weekend(tmp_path: Path) -> None:
    async with running_process(tmp_path, skip_to=at(4, 8, 29)) as process:
        engine = process.store()
        with session_scope(engine) as session:
            add_the_week(session)
        results = []
        for day in (4, 5, 6, 7, 8):
            await process.sleep_until(at(day, 8, 30))
            # As the Schedule would: one run at 08:30, waited for without skipping time (the
            # test server would skip to the run's timeout while the worker picks it up).
            with process.env.auto_time_skipping_disabled():
                result = await process.env.client.execute_workflow(
                    "DigestWorkflow",
                    id=f"digest-test-{day}",
                    task_queue=process.settings.temporal_task_queue,
                    result_type=DigestResult,
                )
            results.append((result.day, result.working_day, result.units))
        assert results == [
            ("2030-04-04", True, 2),
            ("2030-04-05", False, 0),
            ("2030-04-06", False, 0),
            ("2030-04-07", False, 0),
            ("2030-04-08", True, 2),
        ]
        with Session(engine) as session:
            keys = session.exec(
                select(OutboxRow.key)
                .where(OutboxRow.kind == "digest", OutboxRow.recipient_user == "")
                .order_by(col(OutboxRow.key))
            ).all()
        assert keys == [
            "digest:2030-04-04:130100",
            "digest:2030-04-04:130102",
            "digest:2030-04-08:130100",
            "digest:2030-04-08:130102",
        ]
        engine.dispose()
