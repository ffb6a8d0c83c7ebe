"""The oversight summaries (store/summary.py) on both stores: kept by `apply_record` through a
mixed set of records, each applied twice, they equal a recount of the read model and give the
Ministry's and a province's figures exactly as counting the cases does; `xueji stats check`
finds a summary row that was changed and `--rebuild` puts it right."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import select
from typer.testing import CliRunner

from api.stats import WorkingDays
from core.keys import DEV_KEY_SPEC, DEV_LOOKUP_KEY, parse_lookup_key
from core.settings import get_settings
from domain.process import Channel, SlipKind, Stage
from domain.records import (
    CaseRecord,
    CaseSnapshot,
    Clock,
    ClockStatus,
    Outcome,
    SlipRecord,
    SlipState,
    SlipStatus,
)
from domain.workdays import SHANGHAI, WorkdayCalendar
from store import stats, summary
from store.cases import apply_record
from store.db import make_engine, session_scope
from store.models import CaseDay, Unit
from store.sealing import Sealer
from store.stats import Scope
from xueji.cli import app

SEALER = Sealer(DEV_KEY_SPEC)
LOOKUP_KEY = parse_lookup_key(DEV_LOOKUP_KEY)
runner = CliRunner()


def at(day: int, hour: int = 10) -> datetime:
    """A Beijing time in March 2030."""
    return datetime(2030, 3, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def engine(demo_store_url: str) -> Iterator[Engine]:
    engine = make_engine(demo_store_url)
    yield engine
    engine.dispose()


def snapshot(unit: str, channel: Channel, received: datetime, **changes: object) -> CaseSnapshot:
    values: dict[str, object] = {
        "tracking_no": f"TN{unit}{received.day:02d}",
        "channel": channel,
        "stage": Stage.VERIFY_ISSUE,
        "receiving_unit": unit,
        "handling_unit": unit,
        "province": unit[:2] + "0000",
        "received_at": received,
        "updated_at": received,
        "due": None,
        "overdue": False,
        "escalation_level": 0,
    }
    return CaseSnapshot(**{**values, **changes})  # type: ignore[arg-type]


def clock(key: str, unit: str, started: datetime, days: int, **changes: object) -> Clock:
    due = started + timedelta(days=days)
    return replace(
        Clock(
            key=key,
            label=key,
            unit=unit,
            started_at=started,
            due=due,
            remind_at=due,
            estimated=False,
        ),
        **changes,  # type: ignore[arg-type]
    )


def supervision(round_: int, sent: datetime, done: Clock) -> SlipRecord:
    return SlipRecord(
        slip=SlipState(
            slip_id=f"S{round_}",
            kind=SlipKind.SUPERVISION,
            round=round_,
            issuer="130100",
            addressee="130102",
            route=["130100", "130102"],
            sent_at=sent,
            status=SlipStatus.RETURNED,
            clock=done,
            returned_at=done.finished_at,
        )
    )


MET = ClockStatus.MET


def records() -> list[CaseRecord]:
    """A case closed after a rework with a late slip, then followed up (回访); a case whose
    dispute moved it from the prefecture to the province, whose review (复核), asked before the
    follow-up call was recorded, was upheld; a withdrawn one; a referred call; an open one
    re-timed out of its overdue mark; each as the workflow records it, step by step."""
    a = "case-a"  # 石家庄市 handles it; reworked, a verification slip late, closed 20 Mar
    a_case = snapshot("130100", Channel.WEB, at(4, 9))
    issue = clock("verify_issue-1", "130100", at(4, 9), 3)
    slip_v = clock("slip-V1", "130102", at(5), 3)
    s1 = clock("slip-S1", "130102", at(12), 5, status=MET, finished_at=at(13))
    s2 = clock("slip-S2", "130102", at(14), 5, status=MET, finished_at=at(18))
    b = "case-b"  # 长安区 handles it; the dispute's ruling moves it to 河北省, closed 27 Mar
    b_case = snapshot("130102", Channel.PHONE, at(6, 9))
    disputed = clock("disputed-1", "130100", at(7), 5)
    b_closed = replace(
        b_case,
        handling_unit="130000",
        stage=Stage.CLOSED,
        outcome=Outcome.CLOSED,
        updated_at=at(27),
    )
    b_follow_up = clock("follow_up-1", "130000", at(27), 5)
    b_asked = replace(b_follow_up, status=ClockStatus.STOPPED, finished_at=at(28))
    b_review = clock("review-1", "000000", at(28), 10)
    c = "case-c"  # 桥西区, withdrawn 12 Mar while its first step ran (the clock stopped)
    c_case = snapshot("130104", Channel.LETTER, at(8, 9))
    c_issue = clock("verify_issue-1", "130104", at(8, 9), 3)
    d_case = snapshot(
        "130102", Channel.PHONE, at(9, 11), stage=Stage.REFERRED, outcome=Outcome.REFERRED
    )
    e = "case-e"  # 长安区, open: its first step alerted, then a calendar load moved its due time
    e_case = snapshot("130102", Channel.VISIT, at(25, 9))
    e_issue = clock("verify_issue-1", "130102", at(25, 9), 1)
    return [
        CaseRecord(complaint_id=a, case=a_case, clocks=[issue]),
        CaseRecord(
            complaint_id=a,
            clocks=[replace(issue, status=MET, finished_at=at(5))],
            case=replace(a_case, stage=Stage.VERIFICATION, updated_at=at(5)),
        ),
        CaseRecord(complaint_id=a, clocks=[replace(slip_v, status=MET, finished_at=at(11))]),
        CaseRecord(complaint_id=a, slips=[supervision(1, at(12), s1)]),
        CaseRecord(complaint_id=a, slips=[supervision(2, at(14), s2)]),
        CaseRecord(
            complaint_id=a,
            case=replace(a_case, stage=Stage.CLOSED, outcome=Outcome.CLOSED, updated_at=at(20)),
            clocks=[clock("informing-1", "130100", at(18), 3, status=MET, finished_at=at(20))],
        ),
        CaseRecord(
            complaint_id=a,
            clocks=[
                clock(
                    "follow_up-1",
                    "130100",
                    at(20),
                    5,
                    status=MET,
                    finished_at=at(21),
                    result="satisfied",
                )
            ],
        ),
        CaseRecord(
            complaint_id=b, case=b_case, clocks=[clock("verify_issue-1", "130102", at(6, 9), 3)]
        ),
        CaseRecord(
            complaint_id=b,
            clocks=[
                clock(
                    "verify_issue-1",
                    "130102",
                    at(6, 9),
                    3,
                    status=ClockStatus.STOPPED,
                    finished_at=at(7),
                ),
                disputed,
            ],
        ),
        CaseRecord(
            complaint_id=b,
            case=replace(b_case, handling_unit="130000", updated_at=at(10)),
            clocks=[replace(disputed, status=MET, finished_at=at(10))],
        ),
        CaseRecord(
            complaint_id=b,
            case=b_closed,
            clocks=[
                clock("informing-1", "130000", at(24), 3, status=MET, finished_at=at(27)),
                b_follow_up,
            ],
        ),
        # The review asked stops the follow-up's clock; the call recorded after counts on
        # the day its clock stopped; the Ministry upholds the answer.
        CaseRecord(complaint_id=b, case=b_closed, clocks=[b_asked, b_review]),
        CaseRecord(complaint_id=b, clocks=[replace(b_asked, result="not_reached")]),
        CaseRecord(
            complaint_id=b,
            case=b_closed,
            clocks=[replace(b_review, status=MET, finished_at=at(30), result="upheld")],
        ),
        CaseRecord(complaint_id=c, case=c_case, clocks=[c_issue]),
        CaseRecord(
            complaint_id=c,
            case=replace(
                c_case, stage=Stage.WITHDRAWN, outcome=Outcome.WITHDRAWN, updated_at=at(12)
            ),
            clocks=[replace(c_issue, status=ClockStatus.STOPPED, finished_at=at(12))],
        ),
        CaseRecord(complaint_id="case-d", case=d_case),
        CaseRecord(complaint_id=e, case=e_case, clocks=[e_issue]),
        CaseRecord(
            complaint_id=e,
            clocks=[replace(e_issue, overdue=True, escalation_level=1)],
            case=replace(e_case, overdue=True, escalation_level=1),
        ),
        CaseRecord(
            complaint_id=e,
            clocks=[replace(e_issue, due=at(29), status=MET, finished_at=at(27))],
            case=replace(e_case, stage=Stage.VERIFICATION, updated_at=at(27)),
        ),
    ]


def apply_all(engine: Engine) -> None:
    for entry in records():
        for _ in range(2):  # a retried activity applies its record again
            with session_scope(engine) as session:
                apply_record(session, entry, SEALER, at(28), lookup_key=LOOKUP_KEY)


WORKING_DAYS = WorkingDays(WorkdayCalendar())
MARCH = (datetime(2030, 3, 1, tzinfo=SHANGHAI), datetime(2030, 4, 1, tzinfo=SHANGHAI))
# Parts of two months: the days around the whole month are read from the daily rows.
FEB_TO_APRIL = (datetime(2030, 2, 20, tzinfo=SHANGHAI), datetime(2030, 4, 3, tzinfo=SHANGHAI))
MID_MARCH = (datetime(2030, 3, 7, tzinfo=SHANGHAI), datetime(2030, 3, 21, tzinfo=SHANGHAI))


def counted(
    engine: Engine, scope: Scope, period: tuple[datetime, datetime] = MARCH
) -> tuple[object, ...]:
    """Everything store/stats.py answers for the scope and period, in a comparable order."""
    start, end = period
    with session_scope(engine) as session:
        return (
            sorted(
                (r.channel, r.referred, r.cases) for r in stats.received(session, scope, start, end)
            ),
            sorted(
                (r.outcome, r.late, r.reworked, r.cases)
                for r in stats.ended(session, scope, start, end)
            ),
            sorted(stats.steps_done(session, scope, start, end), key=repr),
            sorted(stats.steps_used(session, scope, start, end, WORKING_DAYS.between)),
            stats.disputes_raised(session, scope, start, end),
            sorted(stats.received_by_day(session, scope, start, end)),
            sorted(stats.closed_by_day(session, scope, start, end)),
            stats.aftercare(session, scope, start, end),
        )


def test_the_records_keep_the_summaries_equal_to_a_recount(engine: Engine) -> None:
    apply_all(engine)
    with session_scope(engine) as session:
        assert summary.check(session) == []
        held = summary.held(session)
        bureaus = tuple(session.exec(select(Unit.code)))
    days = {k: n for k, n in held.items() if isinstance(k, summary.CaseKey)}
    country = {key: n for key, n in days.items() if key.scope == summary.COUNTRY}
    received = {key: n for key, n in country.items() if key.event == "received"}
    assert sum(received.values()) == 5  # each case once, though every record came twice
    march = (summary.COUNTRY, "received", date(2030, 3, 1), "130000")  # by month as well
    assert (
        sum(n for k, n in held.items() if isinstance(k, summary.MonthKey) and k[:4] == march) == 5
    )
    closed = [key for key in country if key.event == "closed"]
    assert sorted((k.day, k.branch, k.level, k.late, k.reworked) for k in closed) == [
        (date(2030, 3, 20), "130000", "prefectural", True, True),  # 石家庄市's, by its province
        (date(2030, 3, 27), "130000", "provincial", False, False),  # the ruling moved it up
    ]
    hebei = {key for key in days if key.scope == "130000" and key.event == "closed"}
    assert sorted(k.branch for k in hebei) == ["130000", "130100"]
    # The summaries give the Ministry's and 河北省's figures exactly as counting the cases does
    # (a scope of unit codes is counted from the cases).
    hebei_units = tuple(code for code in bureaus if code.startswith("13"))
    for period in (MARCH, FEB_TO_APRIL, MID_MARCH):
        assert counted(engine, Scope(), period) == counted(engine, Scope(units=bureaus), period)
        hebei_counted = counted(engine, Scope(units=hebei_units), period)
        assert counted(engine, Scope(province="130000"), period) == hebei_counted
    assert counted(engine, Scope())[4] == 1  # the dispute
    assert counted(engine, Scope())[7] == stats.Aftercare(
        follow_ups=Counter(satisfied=1, not_reached=1), reviews_asked=1, upheld=1, reopened=0
    )
    # 石家庄市's own figures (counted from its cases) have a's follow-up alone.
    assert counted(engine, Scope(units=("130100",)))[7] == stats.Aftercare(
        follow_ups=Counter(satisfied=1), reviews_asked=0, upheld=0, reopened=0
    )
    before = (datetime(2030, 3, 1, tzinfo=SHANGHAI), datetime(2030, 3, 28, tzinfo=SHANGHAI))
    assert counted(engine, Scope(), before)[7].follow_ups == Counter(satisfied=1)


def test_each_record_leaves_the_summaries_equal_to_a_recount(engine: Engine) -> None:
    """A record counts the case from the rows it read and wrote, not read again: after every
    record (and its retry), not only after the last, the summaries equal a recount."""
    for entry in records():
        for _ in range(2):
            with session_scope(engine) as session:
                apply_record(session, entry, SEALER, at(28), lookup_key=LOOKUP_KEY)
            with session_scope(engine) as session:
                assert summary.check(session) == [], entry


def test_stats_check_finds_a_changed_row_and_rebuilds(
    engine: Engine, demo_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_all(engine)
    monkeypatch.setenv("XUEJI_DATABASE_URL", demo_store_url)
    get_settings.cache_clear()
    try:
        assert runner.invoke(app, ["stats", "check"]).exit_code == 0
        with session_scope(engine) as session:
            session.connection().execute(
                update(CaseDay)
                .where(CaseDay.event == "withdrawn", CaseDay.scope == "130000")  # type: ignore[arg-type]
                .values(cases=CaseDay.cases + 1)
            )
        found = runner.invoke(app, ["stats", "check"])
        assert found.exit_code == 1
        assert "event=withdrawn" in found.output and "汇总表 2，重新统计 1" in found.output
        assert runner.invoke(app, ["stats", "check", "--rebuild"]).exit_code == 0
        assert runner.invoke(app, ["stats", "check"]).exit_code == 0
    finally:
        get_settings.cache_clear()
