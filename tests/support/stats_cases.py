"""A hand-built set of cases in the read model (complaint_case, case_step, case_slip) for the
oversight figures, on the small tree of tests/support/api_support.py; the figures each leader
must see are written out in tests/api/test_stats.py (docs/oversight.md defines them).

March 2030 (no holiday: every Monday to Friday a working day) is the period; "now" is Friday
29 March 2030, 10:00 Beijing time. Times are Beijing times.

- A 东城区 (110101), phone, received 4 Mar, closed 20 Mar, every step on time; then a late
  follow-up call (回访, not satisfied) and a review (复核) the province upheld.
- B 东城区, web, received 5 Mar, issued its verification slip late (overdue), sent back once
  (rework: a second supervision slip), informed late, closed 27 Mar; followed up (satisfied)
  on 28 Mar.
- C 西城区 (110102), letter, received 6 Mar, its first step re-timed by a calendar load (due 12
  Mar, met 11 Mar: on time), withdrawn 13 Mar while its slip was out (the slip's clock stopped).
- D 北京市 (110000), visit, received 7 Mar; a level dispute stopped its first step, the ruling
  came late (14 Mar, due 13 Mar), its new first step is overdue now (alert at level 2).
- E 东城区, phone, received 4 Mar, referred to the hotline at once.
- F 西城区, phone, received 25 Mar, open at the opinion, on time.
- G 东城区, web, received 20 Feb, closed 21 Feb, reopened by a review (复核) on 22 Feb, closed
  again 27 Feb on time (the period before): reworked.
- H 长安区 (130102, 河北), web, received 10 Mar, open and overdue (another province).
- I 东城区, email, received 25 Feb, open at execution, overdue (alert at level 3).
"""

from datetime import datetime, time

from sqlmodel import Session

from domain.workdays import SHANGHAI
from store import summary
from store.models import Case, CaseClock, CaseSlip

NOW = datetime(2030, 3, 29, 10, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2030, month, day, hour, 0, tzinfo=SHANGHAI)


def end_of(month: int, day: int) -> datetime:
    return datetime.combine(datetime(2030, month, day).date(), time(23, 59, 59), SHANGHAI)


def _case(
    name: str,
    unit: str,
    channel: str,
    received: datetime,
    *,
    stage: str,
    outcome: str = "",
    ended: datetime | None = None,
    overdue: bool = False,
    level: int = 0,
) -> Case:
    province = unit[:2] + "0000"
    return Case(
        id=f"case-{name}",
        tracking_no=f"TN-{name}",
        channel=channel,
        stage=stage,
        receiving_unit=unit,
        handling_unit=unit,
        province=province,
        received_at=received,
        updated_at=ended or NOW,
        due=None,
        overdue=overdue,
        escalation_level=level,
        outcome=outcome,
    )


def _step(
    name: str,
    key: str,
    started: datetime,
    due: datetime,
    finished: datetime | None,
    *,
    status: str = "met",
    overdue: bool = False,
    level: int = 0,
    unit: str = "110101",
    result: str = "",
) -> CaseClock:
    return CaseClock(
        case_id=f"case-{name}",
        key=key,
        label=key,
        unit=unit,
        started_at=started,
        due=due,
        remind_at=due,
        estimated=False,
        status=status if finished is not None else "open",
        reminded=overdue,
        overdue=overdue,
        escalation_level=level,
        finished_at=finished,
        result=result,
    )


def _supervision(name: str, slip_id: str, round_: int, sent: datetime) -> CaseSlip:
    return CaseSlip(
        case_id=f"case-{name}",
        slip_id=slip_id,
        kind="supervision",
        round=round_,
        issuer="110101",
        addressee="110101",
        route='["110101"]',
        hops="[]",
        status="returned",
        sent_at=sent,
    )


def oversight_cases() -> list[Case | CaseClock | CaseSlip]:
    return [
        _case(
            "A", "110101", "phone", at(3, 4, 9), stage="closed", outcome="closed", ended=at(3, 20)
        ),
        _step("A", "verify_issue-1", at(3, 4, 9), end_of(3, 7), at(3, 6)),
        _step("A", "slip-V1", at(3, 6), end_of(3, 13), at(3, 11)),
        _step("A", "opinion-1", at(3, 11), end_of(3, 18), at(3, 12)),
        _step("A", "slip-S1", at(3, 12), end_of(3, 19), at(3, 15)),
        _supervision("A", "S1", 1, at(3, 12)),
        _step("A", "confirmation-1", at(3, 15), end_of(3, 20), at(3, 18)),
        _step("A", "informing-1", at(3, 18), end_of(3, 20), at(3, 20)),
        # After the closing: a late follow-up (which leaves the closing on time) and a review
        # the province upheld in time (A stays closed on 20 Mar).
        _step(
            "A",
            "follow_up-1",
            at(3, 20),
            end_of(3, 27),
            at(3, 28),
            overdue=True,
            level=1,
            result="not_satisfied",
        ),
        _step(
            "A", "review-1", at(3, 28), end_of(4, 11), at(3, 29, 9), unit="110000", result="upheld"
        ),
        _case("B", "110101", "web", at(3, 5, 9), stage="closed", outcome="closed", ended=at(3, 27)),
        _step(
            "B", "verify_issue-1", at(3, 5, 9), end_of(3, 8), at(3, 11, 9), overdue=True, level=1
        ),
        _step("B", "slip-V1", at(3, 11), end_of(3, 18), at(3, 13)),
        _step("B", "opinion-1", at(3, 13), end_of(3, 20), at(3, 14)),
        _step("B", "slip-S1", at(3, 14), end_of(3, 21), at(3, 18)),
        _supervision("B", "S1", 1, at(3, 14)),
        _step("B", "confirmation-1", at(3, 18), end_of(3, 21), at(3, 19)),
        _step("B", "slip-S2", at(3, 19), end_of(3, 26), at(3, 21)),
        _supervision("B", "S2", 2, at(3, 19)),
        _step("B", "confirmation-2", at(3, 21), end_of(3, 26), at(3, 22)),
        _step("B", "informing-1", at(3, 22), end_of(3, 26), at(3, 27), overdue=True, level=1),
        _step("B", "follow_up-1", at(3, 27), end_of(4, 3), at(3, 28), result="satisfied"),
        _case(
            "C",
            "110102",
            "letter",
            at(3, 6, 9),
            stage="withdrawn",
            outcome="withdrawn",
            ended=at(3, 13),
        ),
        _step("C", "verify_issue-1", at(3, 6, 9), end_of(3, 12), at(3, 11), unit="110102"),
        _step("C", "slip-V1", at(3, 11), end_of(3, 18), at(3, 13), status="stopped"),
        _case("D", "110000", "visit", at(3, 7, 9), stage="verify_issue", overdue=True, level=2),
        _step(
            "D",
            "verify_issue-1",
            at(3, 7, 9),
            end_of(3, 12),
            at(3, 8),
            status="stopped",
            unit="110000",
        ),
        _step(
            "D",
            "disputed-1",
            at(3, 8),
            end_of(3, 13),
            at(3, 14),
            overdue=True,
            level=1,
            unit="110000",
        ),
        _step(
            "D",
            "verify_issue-2",
            at(3, 14),
            end_of(3, 19),
            None,
            overdue=True,
            level=2,
            unit="110000",
        ),
        _case(
            "E",
            "110101",
            "phone",
            at(3, 4, 11),
            stage="referred",
            outcome="referred",
            ended=at(3, 4, 11),
        ),
        _case("F", "110102", "phone", at(3, 25, 9), stage="opinion"),
        _step("F", "verify_issue-1", at(3, 25, 9), end_of(3, 28), at(3, 26), unit="110102"),
        _step("F", "slip-V1", at(3, 26), end_of(4, 2), at(3, 27)),
        _step("F", "opinion-1", at(3, 27), end_of(4, 3), None, unit="110102"),
        _case("G", "110101", "web", at(2, 20), stage="closed", outcome="closed", ended=at(2, 27)),
        # G was closed once on 21 Feb, reopened by a review on 22 Feb (its opinion decided
        # again), closed again on 27 Feb: a rework.
        _step("G", "informing-1", at(2, 20), end_of(2, 22), at(2, 21)),
        _step(
            "G", "review-1", at(2, 21), end_of(3, 7), at(2, 22), unit="110000", result="reopened"
        ),
        _step("G", "opinion-2", at(2, 22), end_of(3, 1), at(2, 25)),
        _step("G", "informing-2", at(2, 26), end_of(2, 28), at(2, 27)),
        _case("H", "130102", "web", at(3, 10), stage="verify_issue", overdue=True, level=1),
        _step(
            "H",
            "verify_issue-1",
            at(3, 10),
            end_of(3, 13),
            None,
            overdue=True,
            level=1,
            unit="130102",
        ),
        _case("I", "110101", "email", at(2, 25), stage="execution", overdue=True, level=3),
        _step("I", "slip-S1", at(3, 5), end_of(3, 12), None, overdue=True, level=3),
    ]


# The same cases on the demo tree (xueji/data), for the browser: the province becomes 石家庄市,
# its counties 长安区 and 桥西区, the other province's county 上城区 (浙江).
ON_THE_DEMO_TREE = {"110000": "130100", "110101": "130102", "110102": "130104", "130102": "330102"}


def add_oversight_cases(session: Session, units: dict[str, str] | None = None) -> None:
    """The cases above; `units` moves them to other units (ON_THE_DEMO_TREE). Written as
    rows, not records, so the oversight summaries are rebuilt from them afterwards, as the
    migration fills them from the cases already in a store."""
    moved = units or {}
    for row in oversight_cases():
        for name in ("receiving_unit", "handling_unit", "unit", "issuer", "addressee"):
            if hasattr(row, name):
                setattr(row, name, moved.get(getattr(row, name), getattr(row, name)))
        if isinstance(row, Case):
            row.province = row.handling_unit[:2] + "0000"
        session.add(row)
    session.flush()
    summary.rebuild(session)
