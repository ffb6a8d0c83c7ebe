"""The daily oversight digest (督办日报): for each bureau, the overdue alerts it was sent since
the last digest (cases that became overdue, and alerts that climbed) and its clocks due today,
queued in the outbox once a unit, with a copy for each of its leaders (read in their inbox).

Nothing here decides whether today is a working day: the digest activity does, by the
working-day calendar (activities/digest.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from domain.orgtree import is_school_code
from domain.workdays import SHANGHAI
from store.cases import add_to_outbox
from store.models import Case, CaseClock, OutboxRow, StaffUser, Unit

DIGEST_KIND = "digest"


@dataclass
class UnitDigest:
    overdue: list[str] = field(default_factory=list)  # the alerts' texts (no personal data)
    climbed: list[str] = field(default_factory=list)
    due_today: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.overdue or self.climbed or self.due_today)


def gather(
    session: Session, *, since: datetime, until: datetime, today_ends: datetime
) -> dict[str, UnitDigest]:
    """What each bureau is told: the overdue and climbed alerts queued for it in [since,
    until), and its open clocks not yet overdue that fall due by `today_ends`."""
    digests: dict[str, UnitDigest] = defaultdict(UnitDigest)
    alerts = (
        select(OutboxRow.recipient_unit, OutboxRow.kind, OutboxRow.text)
        .where(col(OutboxRow.kind).in_(("overdue", "escalated")))
        .where(OutboxRow.recipient_user == "", col(OutboxRow.to_complainant).is_(False))
        .where(col(OutboxRow.created_at) >= since, col(OutboxRow.created_at) < until)
        .order_by(col(OutboxRow.created_at), col(OutboxRow.key))
    )
    for unit, kind, text in session.exec(alerts):
        if unit and not is_school_code(unit):
            found = digests[unit]
            (found.overdue if kind == "overdue" else found.climbed).append(text)
    due = (
        select(CaseClock.unit, Case.tracking_no, CaseClock.label, CaseClock.due)
        .join(Case, col(Case.id) == col(CaseClock.case_id))
        .where(CaseClock.status == "open", col(CaseClock.overdue).is_(False))
        .where(col(CaseClock.due) >= until, col(CaseClock.due) <= today_ends)
        .order_by(col(CaseClock.due), col(Case.tracking_no))
    )
    for unit, tracking_no, label, due_at in session.exec(due):
        if not is_school_code(unit):
            when = due_at.astimezone(SHANGHAI).strftime("%H:%M")
            digests[unit].due_today.append(f"{tracking_no}「{label}」今日 {when} 到期")
    return {unit: digest for unit, digest in digests.items() if digest}


def digest_text(unit_name: str, day: date, digest: UnitDigest) -> str:
    lines = [f"【督办日报】{unit_name} {day.isoformat()}"]
    for title, items in (
        ("新超期", digest.overdue),
        ("督办升级", digest.climbed),
        ("今日到期", digest.due_today),
    ):
        lines.append(f"{title} {len(items)} 件" + ("：" if items else ""))
        lines.extend(f"  {index}. {item}" for index, item in enumerate(items, start=1))
    return "\n".join(lines)


def queue_digests(
    session: Session, *, day: date, digests: dict[str, UnitDigest], now: datetime
) -> int:
    """One outbox row a unit (sent by e-mail as every unit's notice) and a copy for each of
    its active leaders, once a day: a retried activity queues nothing twice. The number of
    units told."""
    units = select(Unit.code, Unit.name).where(col(Unit.code).in_(list(digests)))
    names = {code: name for code, name in session.exec(units)}
    leaders: dict[str, list[str]] = defaultdict(list)
    found = select(StaffUser.unit_code, StaffUser.username).where(
        col(StaffUser.unit_code).in_(list(digests)),
        StaffUser.role == "leader",
        col(StaffUser.active).is_(True),
    )
    for unit, username in session.exec(found):
        leaders[unit].append(username)
    rows: list[OutboxRow] = []
    for unit, digest in sorted(digests.items()):
        text = digest_text(names.get(unit, unit), day, digest)
        key = f"digest:{day.isoformat()}:{unit}"
        for person in ["", *sorted(leaders[unit])]:
            rows.append(
                OutboxRow(
                    key=f"{key}:@{person}" if person else key,
                    case_id=f"digest-{day.isoformat()}",
                    kind=DIGEST_KIND,
                    recipient_unit=unit,
                    recipient_user=person,
                    text=text,
                    created_at=now,
                )
            )
    add_to_outbox(session, rows)
    return len(digests)
