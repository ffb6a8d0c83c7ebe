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
from api.aftercare_rules import STAFF_REVIEW_CHANNELS
from api.case_access import NO_CASE
from api.case_names import Names
from api.case_reading import case_detail
from api.case_rows import CHANNEL_NAMES
from api.case_service import Actions, CaseCall
from api.deps import store_call
from api.schemas.complaints import CaseDetail
from api.temporal_link import TemporalUnavailable
from domain.orgtree import OrgTree, OrgUnit, UnknownCodeError
from domain.process import INFORM_CHANNEL_NAMES, SATISFACTION_NAMES, TERMINAL, Stage
from store.models import Case, CaseClock, CaseSlip, TimelineRow
from store.queries import schools_matching, visible_case
from store.sealing import Sealer
from workflows.messages.complaint import CaseView

MAX_LISTED = 30  # the handling unit's own schools listed in the picker; more are searched
MAX_FOUND = 20  # answers of one search of the picker


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


@dataclass(frozen=True)
class ChoiceGroup:
    """A titled list of the picker; `total` counts what a long list left out."""

    title: str
    choices: list[Choice]
    total: int = 0


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
    found: list[Choice] = field(default_factory=list)  # a search of the picker, without JS
    find: str = ""
    tree: OrgTree | None = None  # for the picker's names
    proposals: list[Choice] = field(default_factory=list)
    rulings: list[Choice] = field(default_factory=list)
    staff_choices: list[Choice] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)  # informing's, or the follow-up's
    review_channels: dict[str, str] = field(default_factory=dict)

    def unit(self, code: str) -> str:
        return self.names.unit(code)

    def person(self, username: str) -> str:
        return self.names.person(username)

    def picked(self, code: str) -> str:
        """How the picker names a unit or school picked from a search."""
        return choice_label(self.tree, code) if self.tree else self.unit(code)


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
        detail=case_detail(session, case, sealer, unit_code),
        names=Names(session),
        version=version_of(session, case),
        handles=case.handling_unit == unit_code,
    )


def current_version(session: Session, unit_code: str, complaint_id: str) -> str:
    return version_of(session, seen_case(session, unit_code, complaint_id))


async def case_page(call: CaseCall, sealer: Sealer, tree: OrgTree, *, find: str = "") -> CasePage:
    """The whole page: the read model, then the live state's actions and their choices (with
    the picker's search `find`, for a browser without JavaScript)."""
    session, staff = call.session, call.staff
    unit, complaint_id = staff.unit_code, call.complaint_id
    shown = await store_call(session, read_case, session, unit, complaint_id, sealer)
    shown.find, shown.tree = find, tree
    stage = Stage(shown.detail.stage)
    if stage in TERMINAL and stage is not Stage.CLOSED:  # closed: follow-up and review
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
        involved = shown.detail.school_codes + shown.detail.unit_codes
        shown.addressees = addressee_choices(tree, handling, involved)
        shown.found = found_choices(session, tree, handling, shown.find)
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
    if actions.follow_up:
        shown.channels = {str(k): v for k, v in SATISFACTION_NAMES.items()}
    if actions.review_request:
        shown.review_channels = {str(k): CHANNEL_NAMES[k] for k in STAFF_REVIEW_CHANNELS}


def addressee_choices(
    tree: OrgTree, handling: str, involved: list[str], *, listed: int = MAX_LISTED
) -> list[ChoiceGroup]:
    """Whom a slip may go to, as the picker first lists them: the schools and units the
    complaint names with the bureaus between them and the handling unit; then the handling
    unit's own bureaus below it, and its own schools while they are few. Anyone else of the
    subtree is found by `found_choices` (a province has thousands of schools)."""
    named: dict[str, Choice] = {}
    for code in involved:
        try:
            path = tree.path(code)
        except UnknownCodeError:
            continue
        if handling in path[:-1]:
            for step in path[path.index(handling) + 1 :]:
                named.setdefault(step, Choice(step, tree.get(step).name))
    below = [u for u in tree.children(handling) if u.code not in named]
    bureaus = [Choice(u.code, u.name) for u in below if not u.is_school]
    schools = [Choice(u.code, u.name) for u in below if u.is_school]
    groups = [
        ChoiceGroup("本案涉及的单位和学校", list(named.values())),
        ChoiceGroup("下级教育行政部门", bureaus),
        ChoiceGroup("本级直属学校", schools if len(schools) <= listed else [], len(schools)),
    ]
    return [group for group in groups if group.choices or group.total]


def found_choices(
    session: Session, tree: OrgTree, handling: str, text: str, *, limit: int = MAX_FOUND
) -> list[Choice]:
    """Bureaus and schools below the handling unit whose code starts with `text` or whose
    name holds it, bureaus first, at most `limit`; a school named with its bureau."""
    text = text.strip()
    if not text:
        return []
    inside = [u for u in tree.units() if u.code != handling and handling in tree.path(u.code)]
    found = [Choice(u.code, u.name) for u in inside if u.code.startswith(text) or text in u.name][
        :limit
    ]
    if len(found) < limit:
        units = None if handling == tree.root.code else [handling, *(u.code for u in inside)]
        schools = schools_matching(
            session=session, text=text, units=units, limit=limit - len(found)
        )
        found += [Choice(s.code, f"{s.name}（{unit.name}）") for s, unit in schools]
    return found


def choice_label(tree: OrgTree, code: str) -> str:
    """A bureau's name, or a school's with its bureau, as the picker's search shows them."""
    try:
        found = tree.get(code)
    except UnknownCodeError:
        return code
    parent = tree.parent(code) if found.is_school else None
    return f"{found.name}（{parent.name}）" if parent else found.name


def proposal_choices(tree: OrgTree, handling: str) -> list[Choice]:
    """Units a dispute may propose instead: those above the handling unit and the bureaus
    below it."""
    try:
        above = [tree.unit(code) for code in tree.path(handling)[:-1]]
    except UnknownCodeError:
        return []
    below = [Choice(u.code, u.name) for u in _bureaus_below(tree, handling)]
    return [Choice(u.code, u.name) for u in reversed(above)] + below


def _bureaus_below(tree: OrgTree, handling: str) -> list[OrgUnit]:
    """The bureaus of the handling unit's subtree, each after its parent."""
    found: list[OrgUnit] = []
    pending = [u for u in tree.children(handling) if not u.is_school]
    while pending:
        unit = pending.pop(0)
        found.append(unit)
        pending[0:0] = [u for u in tree.children(unit.code) if not u.is_school]
    return found
