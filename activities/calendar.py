"""Working-day look-ups for the workflows.

The calendar can change while a case runs, so workflow code never reads it: it asks here, for
a window of working days to count its due times in (and a new one after a calendar change),
or, in histories from before, for each due time.
"""

from collections.abc import Callable
from datetime import date, datetime, time

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.workdays import END_OF_DAY, SHANGHAI, WorkdayCalendar, WorkdayWindow
from workflows.activity_interfaces import CalendarActivityInterface
from workflows.messages.activities import CampaignPlan, DeadlinePlan, PlanRequest

# Units that have not reported to a campaign are reminded this many working days before its
# due date, at the start of that office day.
CAMPAIGN_REMINDER_DAYS = 3
CAMPAIGN_REMINDER_TIME = time(9, 0)
# A workflow counts its due times in a window this long (WorkdayWindow): the longest clock of
# the notice with every climb of its alert, and the review period, fit in it many times over.
WINDOW_DAYS = 400


def deadline_plan(calendar: WorkdayCalendar, request: PlanRequest) -> DeadlinePlan:
    """The due time of `request.working_days` working days from `request.start`, and the
    reminder time: the end of the working day before it. Raises ValueError for a naive start
    or a count below 1."""
    due = calendar.deadline(request.start, request.working_days)
    start = request.start.astimezone(SHANGHAI).date()
    eve = calendar.add_workdays(start, request.working_days - 1)
    return DeadlinePlan(
        due=due,
        remind_at=datetime.combine(eve, END_OF_DAY, tzinfo=SHANGHAI),
        estimated=calendar.is_estimated(start, due.date()),
    )


def campaign_plan(calendar: WorkdayCalendar, due_date: date) -> CampaignPlan:
    """A campaign due on `due_date`: due at the end of that day, reminder at 09:00 of the third
    working day before it."""
    remind_day = calendar.add_workdays(due_date, -CAMPAIGN_REMINDER_DAYS)
    return CampaignPlan(
        due=datetime.combine(due_date, END_OF_DAY, tzinfo=SHANGHAI),
        remind_at=datetime.combine(remind_day, CAMPAIGN_REMINDER_TIME, tzinfo=SHANGHAI),
        estimated=calendar.is_estimated(remind_day, due_date),
    )


class CalendarActivities(CalendarActivityInterface):
    """Activities over a calendar source; `worker.py` builds it, tests hand in their own."""

    def __init__(self, calendar: Callable[[], WorkdayCalendar]) -> None:
        self._calendar = calendar

    @activity.defn(name="plan_campaign")
    async def plan_campaign(self, due_date: date) -> CampaignPlan:
        """The due time and reminder time of a campaign due on `due_date`."""
        return campaign_plan(self._calendar(), due_date)

    @activity.defn(name="workday_window")
    async def workday_window(self, start: datetime) -> WorkdayWindow:
        """The working days from `start`'s day (Beijing time) for over a year, as data."""
        return self._calendar().window(start.astimezone(SHANGHAI).date(), WINDOW_DAYS)

    @activity.defn(name="plan_deadline")
    async def plan_deadline(self, request: PlanRequest) -> DeadlinePlan:
        """A clock's due time and its reminder time: the end of the working day before it."""
        try:
            return deadline_plan(self._calendar(), request)
        except ValueError as exc:  # a naive time or a count below 1: retrying cannot fix it
            raise ApplicationError(str(exc), type="InvalidDeadline", non_retryable=True) from exc
