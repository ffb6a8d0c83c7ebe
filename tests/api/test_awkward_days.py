"""What the API answers on the days that catch date arithmetic out: the eve of National Day,
the last days of a year, a time just after midnight in Beijing (still the day before in UTC),
and the make-up Saturday before Spring Festival.

The app's clock is pinned to each day; no worker runs, so the workflows the API starts wait
unrun and only the API's own answers are checked: the first deadline of a registration and a
campaign's reminder day, as exact datetimes. 2027 is loaded as an official year (the test's
own arrangement, only 1 January a holiday), so the answers do not change when the calendar
package learns the State Council's 2027 arrangement.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.workdays import SHANGHAI
from tests.support.demo import CHANG_AN
from tests.support.http_support import COMPLAINT, System, running_system
from tests.support.stores import load_official_year


def beijing(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=SHANGHAI)  # type: ignore[misc]


LATEST = beijing(2026, 12, 31, 16, 0)


@dataclass
class PinnedClock:
    # Accounts and sessions are made at the latest of the days and the test moves back from
    # there, so no day finds a password expired or a session idle.
    now: datetime = LATEST

    def __call__(self) -> datetime:
        return self.now


# (the moment, the first deadline of a complaint registered then, the reminder of a campaign
# due 14 days later): each worked out by hand from the State Council's 2026 arrangement.
AWKWARD_DAYS = [
    # National Day: 1–7 October off, Saturday 10 October worked.
    (beijing(2026, 9, 30, 16, 0), beijing(2026, 10, 10, 23, 59, 59), beijing(2026, 10, 10, 9)),
    (beijing(2026, 12, 28, 10, 0), beijing(2026, 12, 31, 23, 59, 59), beijing(2027, 1, 6, 9)),
    (beijing(2026, 12, 30, 23, 30), beijing(2027, 1, 5, 23, 59, 59), beijing(2027, 1, 8, 9)),
    # 00:30 in Beijing is 16:30 of the day before in UTC: the Beijing day counts.
    (beijing(2026, 12, 31, 0, 30), beijing(2027, 1, 6, 23, 59, 59), beijing(2027, 1, 11, 9)),
    (beijing(2026, 12, 31, 16, 0), beijing(2027, 1, 6, 23, 59, 59), beijing(2027, 1, 11, 9)),
    # Spring Festival: Saturday 14 February worked, 15–23 February off, Saturday 28th worked.
    (beijing(2026, 2, 14, 10, 0), beijing(2026, 2, 26, 23, 59, 59), beijing(2026, 2, 25, 9)),
]


@pytest.fixture
def clock() -> PinnedClock:
    return PinnedClock()


@pytest.fixture
async def api_alone(
    demo_store_url: str, tmp_path: Path, dev_server: WorkflowEnvironment, clock: PinnedClock
) -> AsyncIterator[System]:
    async with running_system(
        demo_store_url, tmp_path, dev_server, clock, with_worker=False
    ) as api:
        load_official_year(api.settings.store_url, 2027, [date(2027, 1, 1)], now=clock())
        yield api


async def test_deadlines_and_reminders_on_awkward_days(
    api_alone: System, clock: PinnedClock
) -> None:
    for moment, first_deadline, reminder in sorted(AWKWARD_DAYS, reverse=True):
        clock.now = moment
        answer = await api_alone.post("hb_clerk", "/api/complaints", COMPLAINT)
        assert answer.status_code == 201, (moment, answer.text)
        deadline = answer.json()["first_deadline"]
        assert datetime.fromisoformat(deadline["due"]) == first_deadline, moment
        assert deadline["estimated"] is False, moment

        due_date = moment.date() + timedelta(days=14)
        body = {"title": "人员信息报送", "due_date": due_date.isoformat(), "units": [CHANG_AN]}
        answer = await api_alone.post("hb_leader", "/api/campaigns", body)
        assert answer.status_code == 201, (moment, answer.text)
        opened = answer.json()
        assert datetime.fromisoformat(opened["remind_at"]) == reminder, moment
        assert datetime.fromisoformat(opened["due"]) == datetime.combine(
            due_date, time(23, 59, 59), tzinfo=SHANGHAI
        )
        assert opened["remind_estimated"] is False, moment
