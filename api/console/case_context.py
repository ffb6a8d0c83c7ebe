"""What the case page shows, gathered once per request: the case as the JSON detail gives it
(numbers masked), unit names, the live state's actions for the viewer, and the choices of the
action forms (units and schools of the handling unit's subtree, the unit's staff).

Nothing here decides who may act: `case_service.actions_of` does; this only lays it out."""

import hashlib
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException
from sqlmodel import Session, col, func, select

from api import case_service
from api.case_access import NO_CASE
from api.case_names import Names
from api.case_reading import case_detail
from api.case_service import Actions, CaseCall
from api.deps import store_call
from api.schemas.complaints import CaseDetail
from api.temporal_link import TemporalUnavailable
from domain.orgtree import OrgTree, UnknownCodeError
from domain.process import INFORM_CHANNEL_NAMES, TERMINAL, Stage
from store.models import Case, CaseClock, CaseSlip, TimelineRow
from store.queries import visible_case
from store.sealing import Sealer
from workflows.messages.complaint import CaseView


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


@dataclass(frozen=True)
class ChoiceGroup:
    """A bureau of the subtree (None: the handling unit's own schools) and its schools."""

    unit: Choice | None
    schools: list[Choice]


@dataclass
class CasePage:
    detail: CaseDetail
    names: Names
    version: str  # the ETag of the read-only parts
    handles: bool = False  # the viewer's unit handles the case: may read the data in full
    offline: bool = False  # Temporal out of reach: the case is shown, nothing can be done
    view: CaseView | None = None
    actions: Actions = field(default_factory=Actions)
    addressees: list[ChoiceGroup] = field(default_factory=list)
    proposals: list[Choice] = field(default_factory=list)
    rulings: list[Choice] = field(default_factory=list)
    staff_choices: list[Choice] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)

    def unit(self, code: str) -> str:
        return self.names.unit(code)

    def person(self, username: str) -> str:
        return self.names.person(username)


def version_of(session: Session, case: Case) -> str:
    """A tag that changes whenever what the page shows of the case changes: the case row's
    time, the number of timeline entries, and the state of its clocks and slips."""
    entries = session.exec(
        select(func.count()).select_from(TimelineRow).where(col(TimelineRow.case_id) == case.id)
    ).one()
    clocks = session.exec(select(CaseClock).where(col(CaseClock.case_id) == case.id)).all()
    slips = session.exec(select(CaseSlip).where(col(CaseSlip.case_id) == case.id)).all()
    parts: list[Any] = [case.updated_at.isoformat(), case.stage, case.assignee, entries]
    parts += [(c.key, c.status, c.overdue, c.escalation_level, str(c.due)) for c in clocks]
    parts += [(s.slip_id, s.status, s.hops, s.assignee) for s in slips]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def seen_case(session: Session, unit_code: str, complaint_id: str) -> Case:
    """The case, 404 when the unit may not see it (the JSON detail's rule)."""
    case = visible_case(session=session, unit_code=unit_code, case_id=complaint_id)
    if case is None:
        raise HTTPException(404, detail=NO_CASE)
    return case


def read_case(session: Session, unit_code: str, complaint_id: str, sealer: Sealer) -> CasePage:
    """The read-only parts of the page, from the read model."""
    case = seen_case(session, unit_code, complaint_id)
    return CasePage(
        detail=case_detail(session, case, sealer),
        names=Names(session),
        version=version_of(session, case),
        handles=case.handling_unit == unit_code,
    )


def current_version(session: Session, unit_code: str, complaint_id: str) -> str:
    return version_of(session, seen_case(session, unit_code, complaint_id))


async def case_page(call: CaseCall, sealer: Sealer, tree: OrgTree) -> CasePage:
    """The whole page: the read model, then the live state's actions and their choices."""
    session, staff = call.session, call.staff
    unit, complaint_id = staff.unit_code, call.complaint_id
    shown = await store_call(session, read_case, session, unit, complaint_id, sealer)
    if Stage(shown.detail.stage) in TERMINAL:
        return shown
    try:
        shown.view = await case_service.live_state(call)
    except TemporalUnavailable:
        shown.offline = True
        return shown
    except HTTPException as exc:  # finished meanwhile, or Temporal away: show, offer nothing
        shown.offline = exc.status_code == 503
        return shown
    shown.actions = case_service.actions_of(staff, shown.view)
    await store_call(session, _choices, shown, session, tree, staff.unit_code)
    return shown


def _choices(shown: CasePage, session: Session, tree: OrgTree, unit_code: str) -> None:
    assert shown.view is not None
    actions, handling = shown.actions, shown.view.handling_unit
    if actions.step in ("verification", "opinion", "confirmation"):
        shown.addressees = subtree_choices(tree, handling)
    if actions.dispute:
        shown.proposals = proposal_choices(tree, handling)
    if actions.ruling is not None:
        codes = dict.fromkeys([*actions.ruling.parties, actions.ruling.ruling_unit])
        shown.rulings = [Choice(code, shown.unit(code)) for code in codes]
    if actions.assign == "anyone":
        shown.staff_choices = [
            Choice(u.username, shown.person(u.username))
            for u in case_service.assignable(session, unit_code)
        ]
    if actions.step == "informing":
        shown.channels = {str(k): v for k, v in INFORM_CHANNEL_NAMES.items()}


def subtree_choices(tree: OrgTree, handling: str) -> list[ChoiceGroup]:
    """The bureaus below the handling unit, each with the schools it supervises, after the
    handling unit's own schools: whom slips may go to."""
    groups: list[ChoiceGroup] = []
    own = [Choice(s.code, s.name) for s in tree.children(handling) if s.is_school]
    if own:
        groups.append(ChoiceGroup(None, own))
    pending = [u for u in tree.children(handling) if not u.is_school]
    while pending:
        unit = pending.pop(0)
        below = tree.children(unit.code)
        schools = [Choice(s.code, s.name) for s in below if s.is_school]
        groups.append(ChoiceGroup(Choice(unit.code, unit.name), schools))
        pending[0:0] = [u for u in below if not u.is_school]
    return groups


def proposal_choices(tree: OrgTree, handling: str) -> list[Choice]:
    """Units a dispute may propose instead: those above the handling unit and the bureaus
    below it."""
    try:
        above = [tree.unit(code) for code in tree.path(handling)[:-1]]
    except UnknownCodeError:
        return []
    below = [g.unit for g in subtree_choices(tree, handling) if g.unit is not None]
    return [Choice(u.code, u.name) for u in reversed(above)] + below
