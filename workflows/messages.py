"""What travels between the API, the workflows and the activities.

Plain dataclasses, serialised by the pydantic data converter and encrypted by the payload
codec. Fields marked PII hold children's or complainants' personal data: they may sit in
(encrypted) payloads, never in search attributes, memos, logs or error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.process import Channel, DeadlinePolicy, SlipKind, Stage

# ---------------------------------------------------------------- starting a complaint


@dataclass
class Complainant:
    """The person who complains (PII, every field)."""

    name: str
    phone: str = ""
    email: str = ""
    id_card: str = ""
    student_no: str = ""


@dataclass
class Student:
    """A student the complaint concerns (PII, every field)."""

    name: str
    id_card: str = ""
    student_no: str = ""  # 全国学籍号


@dataclass
class ComplaintInput:
    complaint_id: str  # opaque, also the workflow id
    tracking_no: str  # 受理编号, the public reference
    received_at: datetime  # aware; the receiving clerk's registration time
    receiving_unit: str  # code of the unit that registered it
    channel: Channel
    school_codes: list[str]
    complainant: Complainant  # PII
    content: str  # PII: what the complaint says
    unit_codes: list[str] = field(default_factory=list)
    # Phone calls only: give the caller the responsible unit's hotline instead of forwarding.
    refer_to_hotline: bool = False
    policy: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    students: list[Student] = field(default_factory=list)  # PII


# ---------------------------------------------------------------- staff actions (Updates)


@dataclass
class IssueSlips:
    """Issue verification slips (核查单) to the related units."""

    actor_unit: str
    addressees: list[str]
    instructions: str = ""  # PII possible


@dataclass
class ReturnSlip:
    """The addressee returns a slip with its findings or its result."""

    actor_unit: str
    slip_id: str
    response: str  # PII possible


@dataclass
class DecideOpinion:
    """The handling opinion (办理意见): supervision slips to executing units, or none at all."""

    actor_unit: str
    opinion: str  # PII possible
    executing_units: list[str] = field(default_factory=list)  # empty: nothing is to be done


@dataclass
class ConfirmResult:
    actor_unit: str
    conclusion: str = ""  # PII possible


@dataclass
class Rework:
    """Send the result back: a new supervision round."""

    actor_unit: str
    executing_units: list[str]
    instructions: str = ""  # PII possible


@dataclass
class InformComplainant:
    """Tell the complainant the outcome (告知投诉人); this closes the case (办结)."""

    actor_unit: str
    message: str  # PII possible


# ---------------------------------------------------------------- Signals


@dataclass
class RaiseDispute:
    actor_unit: str
    proposed_unit: str  # the unit that should handle the case instead
    reason: str = ""


@dataclass
class RuleDispute:
    actor_unit: str  # must be the ruling unit
    handling_unit: str  # the unit that handles the case from now on
    reason: str = ""


@dataclass
class Withdraw:
    reason: str = ""  # PII possible


# ---------------------------------------------------------------- live state (Queries)


@dataclass
class Clock:
    """One working-day deadline and what became of it."""

    key: str  # unique within the case, e.g. "verify_issue-1" or "slip-V1"
    label: str  # Chinese, e.g. "下发核查单"
    unit: str  # who must act
    started_at: datetime
    due: datetime
    remind_at: datetime
    estimated: bool  # the due time falls in or counts over a year without official data
    status: str = "open"  # open | met | stopped
    reminded: bool = False
    overdue: bool = False
    escalation_level: int = 0  # 0 until overdue; 1 at the deadline, +1 every further period
    next_escalation_at: datetime | None = None
    finished_at: datetime | None = None
    working_days: int = 0  # the step's allowance, kept to re-time it when the calendar changes


@dataclass
class Hop:
    from_unit: str
    to_unit: str
    at: datetime


@dataclass
class SlipState:
    slip_id: str
    kind: SlipKind
    round: int  # supervision round (1, then +1 per rework); 1 for verification
    issuer: str
    addressee: str
    route: list[str]  # issuer ... addressee
    sent_at: datetime
    status: str = "open"  # open | returned | cancelled
    hops: list[Hop] = field(default_factory=list)
    clock: Clock | None = None
    returned_at: datetime | None = None


@dataclass
class Dispute:
    raised_by: str
    proposed_unit: str
    parties: list[str]
    ruling_unit: str
    raised_at: datetime
    resumed_stage: Stage
    ruled_at: datetime | None = None
    ruled_handling_unit: str | None = None


@dataclass
class CaseView:
    """The live state of a case, without personal data."""

    complaint_id: str
    tracking_no: str
    channel: Channel
    stage: Stage
    receiving_unit: str
    handling_unit: str
    province: str
    received_at: datetime
    route: list[str]  # receiving unit ... handling unit, as forwarded or transferred
    clocks: list[Clock]
    slips: list[SlipState]
    disputes: list[Dispute]
    supervision_round: int
    overdue: bool
    escalation_level: int
    outcome: str = ""  # "" while open; closed | referred | withdrawn


# ---------------------------------------------------------------- slips (child workflows)


@dataclass
class SlipInput:
    complaint_id: str
    slip: SlipState  # as issued: status open, no hops, no clock yet
    instructions: str  # PII possible
    working_days: int
    escalate_every: int


@dataclass
class SlipAnswer:
    """The addressee's answer, as the slip received it."""

    response: str  # PII possible
    answered_at: datetime


@dataclass
class SlipAlarm:
    """Sent by a slip to its complaint when its clock becomes overdue or escalates."""

    slip_id: str
    clock: Clock


@dataclass
class SlipResult:
    slip: SlipState  # returned, with every hop and the final clock
    response: str  # PII possible


# ---------------------------------------------------------------- activities


@dataclass
class RouteRequest:
    receiving_unit: str
    school_codes: list[str]
    unit_codes: list[str]


@dataclass
class Routing:
    handling_unit: str
    province: str  # the provincial-level unit of the handling unit; "000000" for the Ministry
    route: list[str]  # receiving unit ... handling unit, level by level, both ends
    related_units: list[str]  # supervising units of the schools and the named bureaus
    hotline: str  # the handling unit's public phone, for a referral; may be ""


@dataclass
class PathRequest:
    from_code: str
    to_code: str


@dataclass
class RulingRequest:
    parties: list[str]


@dataclass
class PlanRequest:
    start: datetime  # aware
    working_days: int


@dataclass
class DeadlinePlan:
    due: datetime  # 23:59:59 Asia/Shanghai of the N-th working day after start's day
    remind_at: datetime  # 23:59:59 of the working day before `due` (start's day if N == 1)
    estimated: bool


@dataclass
class TimelineEntry:
    key: str  # unique within the case: a retry never writes a second entry
    at: datetime
    kind: str  # e.g. registered, forwarded, slip_sent, hop, overdue, closed
    text: str  # Chinese, for staff; never personal data
    unit: str = ""


@dataclass
class Notice:
    """A notification to a unit (and `climb` of its superiors), or to the complainant."""

    key: str  # unique within the case
    kind: str  # e.g. assigned, reminder, overdue, escalated, transferred, informed
    text: str  # Chinese; for units never personal data
    unit: str = ""  # the unit concerned; "" with to_complainant
    climb: int = 0  # also alert this many superiors above `unit`
    to_complainant: bool = False


@dataclass
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
    outcome: str = ""


@dataclass
class Registration:
    """What the complainant gave us; written once, sealed (encrypted) at rest."""

    complainant: Complainant  # PII
    content: str  # PII
    school_codes: list[str]
    unit_codes: list[str]
    students: list[Student] = field(default_factory=list)  # PII


@dataclass
class SlipRecord:
    slip: SlipState
    instructions: str | None = None  # PII possible; written when issued
    response: str | None = None  # PII possible; written when returned


@dataclass
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


@dataclass
class PersonnelEntry:
    """One person who handles complaints (staff data: kept in payloads and sealed at rest)."""

    name: str  # 姓名
    workplace: str  # 单位（处室）
    position: str  # 职务
    office_phone: str  # 办公电话
    mobile: str  # 手机
    email: str  # 电子邮箱


@dataclass
class PersonnelReport:
    """What a unit reports: its people and the phone and e-mail it publishes."""

    entries: list[PersonnelEntry]
    public_phone: str  # 对外受理投诉电话
    public_email: str  # 对外受理投诉邮箱


@dataclass
class CampaignPlan:
    due: datetime  # 23:59:59 Asia/Shanghai of the due date
    remind_at: datetime  # 09:00 of the third working day before the due date
    estimated: bool  # the reminder day lies in a year without official calendar data


@dataclass
class CampaignInput:
    campaign_id: str  # also the workflow id
    title: str
    opener: str  # code of the unit that collects
    province: str  # the opener's province code; "" for the Ministry
    opened_at: datetime
    units: list[str]  # codes of the units that must report
    plan: CampaignPlan


@dataclass
class SubmitReport:
    """A unit reports, or corrects its report before the due time."""

    actor_unit: str
    report: PersonnelReport


@dataclass
class CloseCampaign:
    actor_unit: str


@dataclass
class UnitStatus:
    unit: str
    submitted_at: datetime | None = None  # the latest report or correction
    late: bool = False  # first reported after the due time (逾期补报)
    corrections: int = 0


@dataclass
class CampaignState:
    """The campaign as staff see it; no personal data."""

    campaign_id: str
    title: str
    opener: str
    status: str  # open | overdue | closed
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


@dataclass
class CampaignRecord:
    """One idempotent write of a campaign to the store."""

    state: CampaignState
    reports: dict[str, PersonnelReport] = field(default_factory=dict)  # by unit code
    notices: list[Notice] = field(default_factory=list)
    publish: bool = False  # closed: put the public phones and e-mails into the directory
