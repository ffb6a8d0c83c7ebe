"""ComplaintWorkflow's input, staff actions (Updates), Signals and live state (Query)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.process import Channel, DeadlinePolicy, InformChannel, Satisfaction, Stage
from domain.records import AttachmentRef, Clock, Complainant, Outcome, SlipState, Student

# ---------------------------------------------------------------- starting a complaint


@dataclass(kw_only=True)
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


@dataclass(kw_only=True)
class IssueSlips:
    """Issue verification slips (核查单) to the related units."""

    actor_unit: str
    addressees: list[str]
    instructions: str = ""  # PII possible
    actor: str = ""  # the acting staff member's username


@dataclass(kw_only=True)
class DecideOpinion:
    """The handling opinion (办理意见): supervision slips to executing units, or none at all."""

    actor_unit: str
    opinion: str  # PII possible
    executing_units: list[str] = field(default_factory=list)  # empty: nothing is to be done
    actor: str = ""
    # Evidence files (附件) attached to this action: references and hashes only (optional,
    # so histories recorded before it still replay).
    attachments: list[AttachmentRef] = field(default_factory=list)


@dataclass(kw_only=True)
class ConfirmResult:
    actor_unit: str
    conclusion: str = ""  # PII possible
    actor: str = ""


@dataclass(kw_only=True)
class Rework:
    """Send the result back: a new supervision round."""

    actor_unit: str
    executing_units: list[str]
    instructions: str = ""  # PII possible
    actor: str = ""


@dataclass(kw_only=True)
class InformComplainant:
    """Tell the complainant the outcome (告知投诉人); once they are reached, the case closes
    (办结). SMS and e-mail are sent by the system; a phone call, letter or visit is recorded
    as done by the actor. A call that did not reach them is recorded and the case stays open.
    The channel "" (histories from before channels) means e-mail, as it did then."""

    actor_unit: str
    message: str  # PII possible: what the complainant was told
    actor: str = ""
    channel: InformChannel | None = None
    reached: bool = True
    public_reply: str = ""  # for the public tracking page: no names (checked by the API)
    # Evidence files (附件) attached to this action: references and hashes only (optional,
    # so histories recorded before it still replay).
    attachments: list[AttachmentRef] = field(default_factory=list)


@dataclass(kw_only=True)
class RecordFollowUp:
    """The handling unit's follow-up call (回访) after informing, and what it found."""

    actor_unit: str
    result: Satisfaction
    note: str = ""  # PII possible
    actor: str = ""


@dataclass(kw_only=True)
class RequestReview:
    """The complainant asks for a review (复核) of a closed case: by phone, letter or visit,
    registered by staff (`actor_unit` theirs), or on the public tracking page (`channel`
    web, no actor)."""

    channel: Channel
    reason: str  # PII possible: why the complainant is not satisfied
    actor_unit: str = ""
    actor: str = ""


@dataclass(kw_only=True)
class DecideReview:
    """The reviewing unit upholds the answer, or reopens the case with instructions."""

    actor_unit: str
    uphold: bool
    reason: str  # PII possible: why upheld, or what the new round must do
    actor: str = ""


# ---------------------------------------------------------------- Signals


@dataclass(kw_only=True)
class RaiseDispute:
    actor_unit: str
    proposed_unit: str  # the unit that should handle the case instead
    reason: str = ""  # PII possible
    actor: str = ""


@dataclass(kw_only=True)
class RuleDispute:
    actor_unit: str  # must be the ruling unit
    handling_unit: str  # the unit that handles the case from now on
    reason: str = ""  # PII possible
    actor: str = ""


@dataclass(kw_only=True)
class Withdraw:
    """Recorded for the complainant by the handling unit, or by the receiving unit while the
    case is still its own. Histories from before carry no actor_unit: not checked."""

    reason: str = ""  # PII possible
    actor_unit: str = ""
    actor: str = ""


@dataclass(kw_only=True)
class AssignCase:
    """Name the handling unit's person in charge (承办人); a change of person needs a reason."""

    actor_unit: str
    actor: str
    assignee: str  # a username of the handling unit (checked by the API)
    reason: str = ""  # PII possible


# ---------------------------------------------------------------- live state (Queries)


@dataclass(kw_only=True)
class Dispute:
    raised_by: str
    proposed_unit: str
    parties: list[str]
    ruling_unit: str
    raised_at: datetime
    resumed_stage: Stage
    ruled_at: datetime | None = None
    ruled_handling_unit: str | None = None
    reason: str = ""  # PII possible
    raised_by_person: str = ""
    ruling_reason: str = ""  # PII possible
    ruled_by_person: str = ""


@dataclass(kw_only=True)
class FollowUp:
    result: Satisfaction
    at: datetime
    unit: str
    note: str = ""  # PII possible
    actor: str = ""


@dataclass(kw_only=True)
class Review:
    channel: Channel
    requested_at: datetime
    reviewing_unit: str
    reason: str = ""  # PII possible
    requested_by: str = ""  # the staff member who registered it; "" on the tracking page
    decided_at: datetime | None = None
    upheld: bool | None = None
    decision: str = ""  # PII possible: the reasons, or the instructions of the new round
    decided_by: str = ""


@dataclass(kw_only=True)
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
    outcome: Outcome = Outcome.PENDING
    assignee: str = ""
    # After informing (回访 and 复核): the follow-ups and reviews of every round, the unit
    # that reviews, until when a review may be asked ("None" once it may not), reopenings.
    follow_ups: list[FollowUp] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    reviewing_unit: str = ""
    review_until: datetime | None = None
    follow_up_due: bool = False  # the follow-up of this round is still to be recorded
    reopened: int = 0
