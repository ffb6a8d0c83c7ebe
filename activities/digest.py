"""The daily oversight digest (督办日报): on a working day, each bureau is told what became
overdue, what climbed and what falls due today, through the outbox (store/digest.py)."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Engine
from temporalio import activity

from domain.workdays import END_OF_DAY, SHANGHAI, WorkdayCalendar
from store.db import session_scope
from store.digest import gather, queue_digests
from workflows.activity_interfaces import DigestActivityInterface
from workflows.messages.digest import DigestRequest, DigestResult

DIGEST_TIME = time(8, 30)  # Beijing time


def send_digest_now(
    engine: Engine, calendar: WorkdayCalendar, at: datetime, *, now: datetime
) -> DigestResult:
    """The digest of the Beijing day of `at`: nothing on a day off; else every alert since the
    previous working day's digest time (a weekend's and a holiday's included) and the clocks
    due by the end of today."""
    today = at.astimezone(SHANGHAI).date()
    if not calendar.is_workday(today):
        return DigestResult(day=today.isoformat(), working_day=False, units=0)
    since = datetime.combine(calendar.add_workdays(today, -1), DIGEST_TIME, SHANGHAI)
    until = max(at, datetime.combine(today, DIGEST_TIME, SHANGHAI))
    with session_scope(engine) as session:
        digests = gather(
            session,
            since=since,
            until=until,
            today_ends=datetime.combine(today, END_OF_DAY, SHANGHAI) + timedelta(seconds=1),
        )
        told = queue_digests(session, day=today, digests=digests, now=now)
    return DigestResult(day=today.isoformat(), working_day=True, units=told)


class DigestActivities(DigestActivityInterface):
    def __init__(self, engine: Engine, calendar: Callable[[], WorkdayCalendar]) -> None:
        self._engine = engine
        self._calendar = calendar

    @activity.defn(name="send_digest")
    async def send_digest(self, request: DigestRequest) -> DigestResult:
        """On a working day, queue each unit's digest; on any other day, nothing."""
        return await asyncio.to_thread(
            send_digest_now, self._engine, self._calendar(), request.at, now=datetime.now(UTC)
        )
