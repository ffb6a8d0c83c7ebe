"""Requests and answers of the activities the workflows call (workflows/activity_interfaces.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(kw_only=True)
class RouteRequest:
    receiving_unit: str
    school_codes: list[str]
    unit_codes: list[str]


@dataclass(kw_only=True)
class Routing:
    handling_unit: str
    province: str  # the provincial-level unit of the handling unit; "000000" for the Ministry
    route: list[str]  # receiving unit ... handling unit, level by level, both ends
    related_units: list[str]  # supervising units of the schools and the named bureaus
    hotline: str  # the handling unit's public phone, for a referral; may be ""
    # The unit above the handling unit, which reviews its closed cases (复核; the Ministry for
    # its own); "" in the results of workers from before it (looked up at closing then).
    reviewing_unit: str = ""


@dataclass(kw_only=True)
class PathRequest:
    from_code: str
    to_code: str


@dataclass(kw_only=True)
class PathsRequest:
    from_code: str
    to_codes: list[str]


@dataclass(kw_only=True)
class RulingRequest:
    parties: list[str]


@dataclass(kw_only=True)
class PlanRequest:
    start: datetime  # aware
    working_days: int


@dataclass(kw_only=True)
class DeadlinePlan:
    due: datetime  # 23:59:59 Asia/Shanghai of the N-th working day after start's day
    remind_at: datetime  # 23:59:59 of the working day before `due` (start's day if N == 1)
    estimated: bool


@dataclass(kw_only=True)
class CampaignPlan:
    due: datetime  # 23:59:59 Asia/Shanghai of the due date
    remind_at: datetime  # 09:00 of the third working day before the due date
    estimated: bool  # the reminder day lies in a year without official calendar data


@dataclass(kw_only=True)
class DeliveryReport:
    """What one delivery run of the notification outbox did (activities/notify.py)."""

    sent: int
    failed: int
    no_address: int
    no_channel: int = 0  # waiting for a channel this run has not got (SMTP or SMS)


@dataclass(kw_only=True)
class RunningRequest:
    page_token: str  # base64 of visibility's token; "": the first page
    page_size: int


@dataclass(kw_only=True)
class RunningPage:
    """One page of the running cases and campaigns (visibility), and where the next begins."""

    workflow_ids: list[str]
    next_page_token: str | None  # base64; None: this was the last page


@dataclass(kw_only=True)
class SignalledPage:
    """What telling one page of workflows that the calendar changed did."""

    signalled: int
    closed: int  # ended since they were listed
    failed: list[str]
