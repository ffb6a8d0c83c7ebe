"""SlipWorkflow's input, its Update and what it tells and returns to its complaint."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.records import AttachmentRef, Clock, SlipState


@dataclass(kw_only=True)
class SlipInput:
    complaint_id: str
    slip: SlipState  # as issued: status open, no hops, its clock set
    instructions: str  # PII possible
    working_days: int
    escalate_every: int
    # The case counts due times in workflow code (workflows.clocks.COUNTED_HERE): so does the
    # slip, for its alert's climbs. Absent in the inputs of slips issued before it.
    count_due_times: bool = False


@dataclass(kw_only=True)
class ReturnSlip:
    """The addressee returns a slip with its findings or its result."""

    actor_unit: str
    slip_id: str
    response: str  # PII possible
    actor: str = ""
    # Evidence files (附件) attached to this action: references and hashes only (optional,
    # so histories recorded before it still replay).
    attachments: list[AttachmentRef] = field(default_factory=list)


@dataclass(kw_only=True)
class AssignSlip:
    """Name the addressee's person in charge of a slip; a change of person needs a reason."""

    actor_unit: str
    actor: str
    slip_id: str
    assignee: str  # a username of the addressee (checked by the API)
    reason: str = ""  # PII possible


@dataclass(kw_only=True)
class SlipAnswer:
    """The addressee's answer, as the slip received it."""

    response: str  # PII possible
    answered_at: datetime
    actor: str = ""


@dataclass(kw_only=True)
class SlipAlarm:
    """Sent by a slip to its complaint when its clock becomes overdue or escalates."""

    slip_id: str
    clock: Clock


@dataclass(kw_only=True)
class SlipResult:
    slip: SlipState  # returned, with every hop and the final clock
    response: str  # PII possible
