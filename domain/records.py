"""The records the workflows write to the store, and every type they contain (the contract
between workflows/ and store/).

Pure dataclasses, no I/O. They travel as activity arguments through the pydantic data
converter, which serialises them by field name into recorded histories: rename a class if
need be, never a field, and change no field's type. Fields marked PII hold children's or
complainants' personal data: they may sit in (encrypted) payloads, never in search
attributes, memos, logs or error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.process import Channel, SlipKind, Stage

# ---------------------------------------------------------------- status values


class ClockStatus(StrEnum):
    OPEN = "open"  # running
    MET = "met"  # the unit acted in time or late
    STOPPED = "stopped"  # the case moved on without the unit (dispute, withdrawal, cancel)


class SlipStatus(StrEnum):
    OPEN = "open"
    RETURNED = "returned"  # 已反馈
    CANCELLED = "cancelled"  # 已撤销


class Outcome(StrEnum):
    """How a case ended; PENDING ("") while it is open."""

    PENDING = ""
    CLOSED = "closed"  # 办结
    REFERRED = "referred"  # 已告知热线
    WITHDRAWN = "withdrawn"  # 已撤回


class CampaignStatus(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"  # the due time passed with units missing
    CLOSED = "closed"


# ---------------------------------------------------------------- people (PII)


@dataclass(kw_only=True)
class Complainant:
    """The person who complains (PII, every field)."""

    name: str
    phone: str = ""
    email: str = ""
    id_card: str = ""
    student_no: str = ""


@dataclass(kw_only=True)
class Student:
    """A student the complaint concerns (PII, every field)."""

    name: str
    id_card: str = ""
    student_no: str = ""  # 全国学籍号


# ---------------------------------------------------------------- clocks and slips


@dataclass(kw_only=True)
class Clock:
    """One working-day deadline (期限) of one unit, and what became of it."""

    key: str  # unique within the case, e.g. "verify_issue-1" or "slip-V1"
    label: str  # Chinese, e.g. "下发核查单"
    unit: str  # who must act
    started_at: datetime
    due: datetime
    remind_at: datetime
    estimated: bool  # the due time falls in or counts over a year without official data
    status: ClockStatus = ClockStatus.OPEN
    reminded: bool = False
    overdue: bool = False
    escalation_level: int = 0  # 0 until overdue; 1 at the deadline, +1 every further period
    next_escalation_at: datetime | None = None
    finished_at: datetime | None = None
    working_days: int = 0  # the clock's allowance, kept to re-time it when the calendar changes
    # What the unit answered, for the steps that end in a coded answer: a follow-up call's
    # (回访) Satisfaction value, a review's (复核) "upheld" or "reopened"; "" for the others.
    result: str = ""


@dataclass(kw_only=True)
class Hop:
    from_unit: str
    to_unit: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class AttachmentRef:
    """An evidence file (附件) as an action names it in the history: its id and SHA-256 only;
    the file itself is sealed in the blob store (store/blobs.py), never in the history."""

    attachment_id: str
    sha256: str


@dataclass(kw_only=True)
class SlipState:
    slip_id: str
    kind: SlipKind
    round: int  # supervision round (1, then +1 per rework); 1 for verification
    issuer: str
    addressee: str
    route: list[str]  # issuer ... addressee
    sent_at: datetime
    status: SlipStatus = SlipStatus.OPEN
    hops: list[Hop] = field(default_factory=list)
    clock: Clock | None = None
    returned_at: datetime | None = None
    assignee: str = ""  # the username of the addressee's person in charge (承办人); "" none
    returned_by: str = ""  # the username of who returned it


# ---------------------------------------------------------------- what a case record holds


@dataclass(kw_only=True)
class TimelineEntry:
    key: str  # unique within the case: a retry never writes a second entry
    at: datetime
    kind: str  # e.g. registered, forwarded, slip_sent, hop, overdue, closed
    text: str  # Chinese, for staff; never personal data
    unit: str = ""
    actor: str = ""  # the username of the staff member who acted; "" for the system
    note: str = ""  # PII possible: what the actor wrote (a reason, conclusion, message)


@dataclass(kw_only=True)
class Notice:
    """A notification to a unit (and `climb` of its superiors), or to the complainant."""

    key: str  # unique within the case
    kind: str  # e.g. assigned, reminder, overdue, escalated, transferred, informed
    text: str  # Chinese; for units never personal data
    unit: str = ""  # the unit concerned; "" with to_complainant
    climb: int = 0  # also alert this many superiors above `unit`
    to_complainant: bool = False
    person: str = ""  # also the unit's person in charge (a username), for their own inbox
    channel: str = ""  # to the complainant: "sms" or "email"; "" lets delivery choose


@dataclass(kw_only=True)
class CaseSnapshot:
    """The case row of the read model (no personal data)."""

    tracking_no: str
    channel: Channel
    stage: Stage
    receiving_unit: str
    handling_unit: str
    province: str
    received_at: datetime
    updated_at: datetime
    due: datetime | None
    overdue: bool
    escalation_level: int
    outcome: Outcome = Outcome.PENDING
    assignee: str = ""  # the handling unit's person in charge (承办人); "" unassigned
    # What the public tracking page shows once the case is closed; written by staff for the
    # public, checked to name neither the complainant nor a student.
    public_reply: str = ""


@dataclass(kw_only=True)
class Registration:
    """What the complainant gave us; written once, sealed (encrypted) at rest."""

    complainant: Complainant  # PII
    content: str  # PII
    school_codes: list[str]
    unit_codes: list[str]
    students: list[Student] = field(default_factory=list)  # PII


@dataclass(kw_only=True)
class SlipRecord:
    slip: SlipState
    instructions: str | None = None  # PII possible; written when issued
    response: str | None = None  # PII possible; written when returned


@dataclass(kw_only=True)
class CaseRecord:
    """One idempotent write to the store: upserts by natural key, inserts only if absent."""

    complaint_id: str
    case: CaseSnapshot | None = None
    registration: Registration | None = None
    clocks: list[Clock] = field(default_factory=list)
    slips: list[SlipRecord] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


# ---------------------------------------------------------------- the personnel-table campaign
# Attachment 3 of the notice: units report who handles complaints (处理群众投诉中小学生学籍管理
# 问题人员信息表) and their public complaint phone and e-mail.


@dataclass(kw_only=True)
class PersonnelEntry:
    """One person who handles complaints (staff data: kept in payloads and sealed at rest)."""

    name: str  # 姓名
    workplace: str  # 单位（处室）
    position: str  # 职务
    office_phone: str  # 办公电话
    mobile: str  # 手机
    email: str  # 电子邮箱


@dataclass(kw_only=True)
class PersonnelReport:
    """What a unit reports: its people and the phone and e-mail it publishes."""

    entries: list[PersonnelEntry]
    public_phone: str  # 对外受理投诉电话
    public_email: str  # 对外受理投诉邮箱


@dataclass(kw_only=True)
class UnitStatus:
    unit: str
    submitted_at: datetime | None = None  # the latest report or correction
    late: bool = False  # first reported after the due time (逾期补报)
    corrections: int = 0


@dataclass(kw_only=True)
class CampaignState:
    """The campaign as staff see it; no personal data."""

    campaign_id: str
    title: str
    opener: str
    status: CampaignStatus
    opened_at: datetime
    due: datetime
    remind_at: datetime
    units: list[UnitStatus]
    reminded_at: datetime | None = None
    alerted_at: datetime | None = None
    closed_at: datetime | None = None
    # The reminder day was counted over a year without official calendar data (预计).
    remind_estimated: bool = False

    @property
    def missing(self) -> list[str]:
        return [status.unit for status in self.units if status.submitted_at is None]


@dataclass(kw_only=True)
class CampaignRecord:
    """One idempotent write of a campaign to the store."""

    state: CampaignState
    reports: dict[str, PersonnelReport] = field(default_factory=dict)  # by unit code
    notices: list[Notice] = field(default_factory=list)
    publish: bool = False  # closed: put the public phones and e-mails into the directory
