"""The activities the workflows call, as the workflows see them: names and types only.

Workflows sit below activities (DESIGN §6), so they cannot import the implementations. They
call these stubs by reference instead (`workflow.execute_local_activity_method(
CalendarActivityInterface.plan_deadline, ...)`), which gives the activity's name and result
type and lets mypy check the argument. The classes in activities/ subclass these and register
each method under the same name (tests/test_activity_interfaces.py checks that they do).
"""

from __future__ import annotations

from datetime import date, datetime

from temporalio import activity

from domain.records import CampaignRecord, CaseRecord
from domain.workdays import WorkdayWindow
from workflows.messages.activities import (
    CampaignPlan,
    DeadlinePlan,
    DeliveryReport,
    PathRequest,
    PathsRequest,
    PlanRequest,
    RouteRequest,
    Routing,
    RulingRequest,
    RunningPage,
    RunningRequest,
    SignalledPage,
)
from workflows.messages.digest import DigestRequest, DigestResult


class CalendarActivityInterface:
    """Working-day look-ups (activities/calendar.py)."""

    @activity.defn(name="plan_deadline")
    async def plan_deadline(self, request: PlanRequest) -> DeadlinePlan:
        """A clock's due time and its reminder time: the end of the working day before it."""
        raise NotImplementedError

    @activity.defn(name="workday_window")
    async def workday_window(self, start: datetime) -> WorkdayWindow:
        """The working days from `start`'s day (Beijing time) for over a year, as data."""
        raise NotImplementedError

    @activity.defn(name="plan_campaign")
    async def plan_campaign(self, due_date: date) -> CampaignPlan:
        """The due time and reminder time of a campaign due on `due_date`."""
        raise NotImplementedError


class OrgActivityInterface:
    """Organisation-tree look-ups (activities/org.py)."""

    @activity.defn(name="route_complaint")
    async def route_complaint(self, request: RouteRequest) -> Routing:
        """Who handles the complaint and the units it passes on its way there."""
        raise NotImplementedError

    @activity.defn(name="unit_path")
    async def unit_path(self, request: PathRequest) -> list[str]:
        """The codes from one unit to another, level by level, both ends."""
        raise NotImplementedError

    @activity.defn(name="unit_paths")
    async def unit_paths(self, request: PathsRequest) -> list[list[str]]:
        """`unit_path` to each of several units, in their order."""
        raise NotImplementedError

    @activity.defn(name="ruling_unit")
    async def ruling_unit(self, request: RulingRequest) -> str:
        """The unit that rules a level dispute between the parties."""
        raise NotImplementedError


class StoreActivityInterface:
    """Writes to the store (activities/store.py)."""

    @activity.defn(name="record_case")
    async def record_case(self, record: CaseRecord) -> None:
        """Upsert the case, its clocks and slips; add timeline entries and notifications once."""
        raise NotImplementedError

    @activity.defn(name="record_campaign")
    async def record_campaign(self, record: CampaignRecord) -> None:
        """Upsert the campaign and its units; add notifications once; publish on closing."""
        raise NotImplementedError


class OutboxActivityInterface:
    """Delivery of the notification outbox (activities/notify.py)."""

    @activity.defn(name="deliver_notifications")
    async def deliver_notifications(self, limit: int) -> DeliveryReport:
        """Send up to `limit` unsent notices by the configured e-mail and SMS channels."""
        raise NotImplementedError


class RetimeActivityInterface:
    """Telling the running cases that the calendar changed (activities/retime.py)."""

    @activity.defn(name="running_workflows")
    async def running_workflows(self, request: RunningRequest) -> RunningPage:
        """One page of the running cases and campaigns."""
        raise NotImplementedError

    @activity.defn(name="signal_calendar_changed")
    async def signal_calendar_changed(self, workflow_ids: list[str]) -> SignalledPage:
        """Signal each workflow `calendar_changed`."""
        raise NotImplementedError


class DigestActivityInterface:
    """The daily oversight digest (activities/digest.py)."""

    @activity.defn(name="send_digest")
    async def send_digest(self, request: DigestRequest) -> DigestResult:
        """On a working day, queue each unit's digest; on any other day, nothing."""
        raise NotImplementedError
