"""What ComplaintWorkflow knows about its case, and what it reads off it (no side effects)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.process import TERMINAL, SlipKind, Stage
    from domain.records import (
        CaseSnapshot,
        Clock,
        ClockStatus,
        Notice,
        Outcome,
        SlipState,
        SlipStatus,
        TimelineEntry,
    )
    from workflows import complaint_wording as wording
    from workflows.clocks import Planner
    from workflows.errors import (
        ALREADY_DONE,
        INVALID_INPUT,
        WRONG_STAGE,
        WRONG_UNIT,
        ActionRefused,
    )
    from workflows.messages.complaint import (
        CaseView,
        ComplaintInput,
        Dispute,
        FollowUp,
        Review,
    )
    from workflows.messages.slip import SlipResult

_UNIT_OR_SCHOOL = re.compile(r"\d{6}|\d{10}")
# Fewer activities per case (histories from before take the old way): the routes of the
# slips issued together are looked up at once, and informing starts the follow-up in the same
# record instead of recording it after.
FEWER_STEPS = "one-look-up-one-record"


def is_code(code: str) -> bool:
    """A 6-digit unit code or a 10-digit school code."""
    return bool(_UNIT_OR_SCHOOL.fullmatch(code))


def check_codes(field: str, codes: list[str], *, required: bool) -> None:
    """Refuse a list of unit or school codes that is empty (if required), malformed or repeated."""
    if required and not codes:
        raise ActionRefused(wording.no_unit(field), INVALID_INPUT)
    for code in codes:
        if not is_code(code):
            raise ActionRefused(wording.not_a_code(field, code), INVALID_INPUT)
    if len(set(codes)) != len(codes):
        raise ActionRefused(wording.repeated_units(field), INVALID_INPUT)


@dataclass(kw_only=True)
class Aftercare:
    """A closed case's follow-up and review period (workflows/complaint_aftercare.py)."""

    closing: int  # which closing of the case it follows (a reopened case closes again)
    closed_at: datetime
    window_end: datetime  # a review may be asked until then
    reviewing_unit: str
    follow_up_clock: Clock
    followed_up: bool = False
    review: Review | None = None
    over: bool = False


class CaseState:
    """The case as the workflow holds it; the helper modules read and change it."""

    def __init__(self, input: ComplaintInput) -> None:
        self.input = input
        self.policy = input.policy
        self.stage = Stage.REGISTERED
        self.handling = input.receiving_unit
        self.province = ""
        self.route: list[str] = [input.receiving_unit]
        self.related: list[str] = []
        self.reviewing = ""  # who reviews the case once closed (Routing.reviewing_unit)
        self.clocks: list[Clock] = []
        self.planner = Planner()  # counts the due times of the case's own clocks
        self.clock: Clock | None = None  # the handling (or ruling) unit's open clock
        self.slips: dict[str, SlipState] = {}
        self.children: dict[str, workflow.ChildWorkflowHandle[Any, SlipResult]] = {}
        self.settled: set[str] = set()  # slips whose return (or cancellation) is processed
        self.round = 0
        self.disputes: list[Dispute] = []
        self.outcome = Outcome.PENDING
        self.assignee = ""  # the handling unit's person in charge (承办人)
        self.public_reply = ""
        self.seq = 0
        self.version = 0  # +1 whenever the stage or the open clock changes: the run loop wakes
        self.published: dict[str, object] = {}
        self.lock = asyncio.Lock()
        self.closings = 0  # times the complainant was told the result and the case closed
        self.closed_at: datetime | None = None  # the latest closing
        self.after: Aftercare | None = None
        self.follow_ups: list[FollowUp] = []
        self.reviews: list[Review] = []
        self.reopened = 0

    @property
    def ended(self) -> bool:
        return self.stage in TERMINAL

    @property
    def done(self) -> bool:
        """Ended, and no follow-up or review period is running."""
        return self.ended and (self.after is None or self.after.over)

    def key(self, prefix: str) -> str:
        """A key unique within the case, for a timeline entry ("t") or a notice ("n")."""
        self.seq += 1
        return f"{prefix}{self.seq}"

    def entry(
        self,
        kind: str,
        text: str,
        unit: str,
        *,
        at: datetime | None = None,
        actor: str = "",
        note: str = "",
    ) -> TimelineEntry:
        """A timeline entry; `actor` and `note`: who acted and what they wrote."""
        return TimelineEntry(
            key=self.key("t"),
            at=at or workflow.now(),
            kind=kind,
            text=text,
            unit=unit,
            actor=actor,
            note=note,
        )

    def notice(
        self,
        kind: str,
        text: str,
        *,
        unit: str = "",
        climb: int = 0,
        to_complainant: bool = False,
        channel: str = "",
    ) -> Notice:
        """A notice; one to the handling unit also goes to its person in charge."""
        return Notice(
            key=self.key("n"),
            kind=kind,
            text=text,
            unit=unit,
            climb=climb,
            to_complainant=to_complainant,
            person=self.assignee if unit and unit == self.handling else "",
            channel=channel,
        )

    def require(self, stage: Stage, actor: str) -> None:
        """Refuse a staff action unless the case is at `stage` and `actor` handles it."""
        if self.stage is not stage:
            if self.ended:
                raise ActionRefused(wording.already_ended(self.stage), ALREADY_DONE)
            raise ActionRefused(wording.wrong_stage(self.stage, stage), WRONG_STAGE)
        if actor != self.handling:
            raise ActionRefused(wording.wrong_unit(self.handling, actor), WRONG_UNIT)

    def all_back(self, kind: SlipKind) -> bool:
        return all(s.status != SlipStatus.OPEN for s in self.slips.values() if s.kind is kind)

    def open_slips(self, kind: SlipKind | None = None) -> Iterator[str]:
        """The ids of the open slips (of one kind), each checked as the caller reaches it."""
        for slip_id, slip in self.slips.items():
            if slip.status == SlipStatus.OPEN and kind in (None, slip.kind):
                yield slip_id

    def alerts(self) -> tuple[datetime | None, bool, int]:
        """Due time of the open stage, and whether any open clock (own or a slip's) is
        overdue, and how far its alert has climbed."""
        if self.ended and self.clock is None:
            return None, False, 0
        open_clocks = [c for c in self.clocks if c.status == ClockStatus.OPEN] + [
            s.clock
            for s in self.slips.values()
            if s.status == SlipStatus.OPEN and s.clock is not None
        ]
        due = self.clock.due if self.clock is not None else None
        if due is None and open_clocks:
            due = min(c.due for c in open_clocks)
        overdue = any(c.overdue for c in open_clocks)
        level = max((c.escalation_level for c in open_clocks), default=0)
        return due, overdue, level

    def snapshot(self) -> CaseSnapshot:
        due, overdue, level = self.alerts()
        input = self.input
        return CaseSnapshot(
            tracking_no=input.tracking_no,
            channel=input.channel,
            stage=self.stage,
            receiving_unit=input.receiving_unit,
            handling_unit=self.handling,
            province=self.province,
            received_at=input.received_at,
            # A closed case keeps its closing time through the follow-up and review period.
            updated_at=self.after.closed_at if self.ended and self.after else workflow.now(),
            due=due,
            overdue=overdue,
            escalation_level=level,
            outcome=self.outcome,
            assignee=self.assignee,
            public_reply=self.public_reply,
        )

    def view(self) -> CaseView:
        _, overdue, level = self.alerts()
        input = self.input
        return CaseView(
            complaint_id=input.complaint_id,
            tracking_no=input.tracking_no,
            channel=input.channel,
            stage=self.stage,
            receiving_unit=input.receiving_unit,
            handling_unit=self.handling,
            province=self.province,
            received_at=input.received_at,
            route=list(self.route),
            clocks=list(self.clocks),
            slips=list(self.slips.values()),
            disputes=list(self.disputes),
            supervision_round=self.round,
            overdue=overdue,
            escalation_level=level,
            outcome=self.outcome,
            assignee=self.assignee,
            follow_ups=list(self.follow_ups),
            reviews=list(self.reviews),
            reviewing_unit=self.after.reviewing_unit if self.after else "",
            review_until=self.review_until(),
            follow_up_due=bool(self.after and not self.after.over and not self.after.followed_up),
            reopened=self.reopened,
        )

    def review_until(self) -> datetime | None:
        """Until when a review may be asked now; None when it may not (once per closing)."""
        after = self.after
        if after is None or after.over or after.review is not None:
            return None
        return after.window_end
