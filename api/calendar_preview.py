"""What loading a year's arrangement would move, before it is loaded (the dry run of
`POST /api/calendar/years/preview` and the console's calendar page).

The running deadlines are the open clocks of the read model (a case's step, a slip's
addressee) and the reminders of the campaigns not yet sent. Each is planned again exactly as
the workflows do on `calendar_changed` (activities/calendar.py), under the calendar with the
year put in. The read model keeps a clock's start and due time, not its allowance: the
allowance is the number of working days from the start to the due time under the calendar in
force, which is how the clock was planned.
"""

from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from activities.calendar import campaign_plan, deadline_plan
from api.schemas.calendar import MovedDeadline, MovedReminder, YearPreview
from domain.records import CampaignStatus, ClockStatus
from domain.workdays import SHANGHAI, WorkdayCalendar
from domain.year_files import YearArrangement
from store.models import Campaign, Case, CaseClock
from workflows.messages.activities import PlanRequest


def preview_year(
    session: Session, current: WorkdayCalendar, arrangement: YearArrangement, now: datetime
) -> YearPreview:
    """The running deadlines and campaign reminders that loading `arrangement` would move,
    soonest first, and by how much; nothing is saved."""
    proposed = current.with_override(arrangement)
    first = datetime.combine(date(arrangement.year, 1, 1), time(), SHANGHAI)
    after = datetime.combine(date(arrangement.year + 1, 1, 1), time(), SHANGHAI)
    # Only a clock whose days touch the year can move: the rest count the same days.
    query = (
        select(CaseClock, Case.tracking_no)
        .join(Case, col(Case.id) == col(CaseClock.case_id))
        .where(CaseClock.status == ClockStatus.OPEN.value, Case.outcome == "")
        .where(col(CaseClock.started_at) < after, col(CaseClock.due) >= first)
    )
    deadlines, ended, checked = [], 0, 0
    for clock, tracking_no in session.exec(query):
        checked += 1
        allowance = _working_days_between(current, _day(clock.started_at), _day(clock.due))
        plan = deadline_plan(proposed, PlanRequest(start=clock.started_at, working_days=allowance))
        if plan.due == clock.due:
            if plan.estimated != clock.estimated:
                ended += 1
            continue
        deadlines.append(
            MovedDeadline(
                complaint_id=clock.case_id,
                tracking_no=tracking_no,
                step=clock.label,
                unit=clock.unit,
                old_due=clock.due,
                new_due=plan.due,
                working_days=_shift(current, _day(clock.due), _day(plan.due)),
                calendar_days=(_day(plan.due) - _day(clock.due)).days,
                overdue_now=clock.due < now,
                overdue_after=plan.due < now,
            )
        )
    return YearPreview(
        year=arrangement.year,
        holidays=len(arrangement.holidays),
        workdays=len(arrangement.workdays),
        checked=checked,
        deadlines=sorted(deadlines, key=lambda moved: (moved.old_due, moved.tracking_no)),
        reminders=_reminders(session, current, proposed, first, after),
        estimates_ended=ended,
    )


def _reminders(
    session: Session,
    current: WorkdayCalendar,
    proposed: WorkdayCalendar,
    first: datetime,
    after: datetime,
) -> list[MovedReminder]:
    """The reminders of open campaigns not yet sent that the year would move."""
    query = (
        select(Campaign)
        .where(Campaign.status == CampaignStatus.OPEN.value)
        .where(col(Campaign.reminded_at).is_(None))
        .where(col(Campaign.remind_at) < after, col(Campaign.due) >= first)
        .order_by(col(Campaign.remind_at))
    )
    moved = []
    for campaign in session.exec(query):
        plan = campaign_plan(proposed, _day(campaign.due))
        if plan.remind_at == campaign.remind_at:
            continue
        moved.append(
            MovedReminder(
                campaign_id=campaign.id,
                title=campaign.title,
                due=campaign.due,
                old_remind_at=campaign.remind_at,
                new_remind_at=plan.remind_at,
                working_days=_shift(current, _day(campaign.remind_at), _day(plan.remind_at)),
                calendar_days=(_day(plan.remind_at) - _day(campaign.remind_at)).days,
            )
        )
    return moved


def _day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def _working_days_between(calendar: WorkdayCalendar, start: date, end: date) -> int:
    """The working days after `start` up to and including `end` (at least 1: an allowance)."""
    return max(_shift(calendar, start, end), 1)


def _shift(calendar: WorkdayCalendar, old: date, new: date) -> int:
    """How many working days later (positive) or earlier (negative) `new` is than `old`,
    counted as the calendar in force counts them (the days staff had planned by)."""
    if new == old:
        return 0
    earlier, later = sorted((old, new))
    count, day = 0, earlier + timedelta(days=1)
    while day <= later:
        count += calendar.is_workday(day)
        day += timedelta(days=1)
    return count if new > old else -count
