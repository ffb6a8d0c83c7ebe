"""What importing a new organisation tree would change (导入预览): units and schools added,
renamed, moved and removed, the removals that something still depends on, and a digest of
the stored tree and the new one, so that an import applies only what was previewed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect
from sqlmodel import Session, col, select

from domain.orgtree import LEVEL_LABELS, Level, OrgTree
from store.models import (
    AccountRequest,
    Campaign,
    CampaignUnit,
    Case,
    CaseClock,
    CaseSchool,
    Faq,
    School,
    StaffUser,
    Unit,
)

LISTED = 200  # entries of each kind a preview lists; its counts are always complete


@dataclass(frozen=True)
class Change:
    """One unit or school of a kind of change; `before`/`after` say what changed (a name,
    the unit above), empty for an addition or a removal."""

    code: str
    name: str
    before: str = ""
    after: str = ""


@dataclass
class ChangeList:
    total: int = 0
    items: list[Change] = field(default_factory=list)

    def add(self, change: Change) -> None:
        self.total += 1
        if len(self.items) < LISTED:
            self.items.append(change)


@dataclass(frozen=True)
class InUse:
    """A unit or school the new tree lacks that something still depends on, and what."""

    code: str
    name: str
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）：{'、'.join(self.reasons)}"


KINDS = (
    "units_added",
    "units_renamed",
    "units_moved",
    "units_relevelled",
    "units_removed",
    "schools_added",
    "schools_renamed",
    "schools_moved",
    "schools_removed",
)


@dataclass
class TreeChanges:
    """The comparison of the stored tree with a new one (`tree_changes`)."""

    digest: str
    units: int  # the new tree's
    schools: int
    units_added: ChangeList = field(default_factory=ChangeList)
    units_renamed: ChangeList = field(default_factory=ChangeList)
    units_moved: ChangeList = field(default_factory=ChangeList)
    units_relevelled: ChangeList = field(default_factory=ChangeList)
    units_removed: ChangeList = field(default_factory=ChangeList)
    schools_added: ChangeList = field(default_factory=ChangeList)
    schools_renamed: ChangeList = field(default_factory=ChangeList)
    schools_moved: ChangeList = field(default_factory=ChangeList)
    schools_removed: ChangeList = field(default_factory=ChangeList)
    contacts_changed: int = 0
    in_use: list[InUse] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.contacts_changed and not any(getattr(self, k).total for k in KINDS)

    def summary(self) -> str:
        """The import in one line for the audit log: the new tree's size and each change's
        count (units/schools), e.g. `units=342 schools=1362 added=0/0 renamed=1/0 …`."""
        words = [f"units={self.units}", f"schools={self.schools}"]
        for kind in ("added", "renamed", "moved", "removed"):
            units, schools = getattr(self, f"units_{kind}"), getattr(self, f"schools_{kind}")
            words.append(f"{kind}={units.total}/{schools.total}")
        words.append(f"relevelled={self.units_relevelled.total}")
        words.append(f"contacts={self.contacts_changed}")
        return " ".join(words)


class TreeInUseError(ValueError):
    """The new tree lacks units or schools that something still depends on (staff accounts,
    account requests, FAQ entries, running cases, open campaigns); nothing was changed."""

    def __init__(self, in_use: list[InUse]) -> None:
        self.in_use = in_use
        self.codes = [entry.code for entry in in_use]
        super().__init__(
            "新的组织机构树缺少仍在使用的单位或学校："
            + "；".join(str(entry) for entry in in_use)
            + "。请在导入文件中保留这些单位和学校，或先调整账号的单位、删除或移交常见问题解答、"
            "等在办案件办结和报送任务结束"
        )


class TreeChangedError(ValueError):
    """The stored tree (or the file) is no longer the one that was previewed."""

    def __str__(self) -> str:
        return "组织机构树在预览之后已有变化（或导入的不是预览过的文件），请重新预览后再导入"


_Row = tuple[str, ...]


def _stored(session: Session) -> tuple[dict[str, _Row], dict[str, _Row]]:
    columns: list[Any] = [
        Unit.code,
        Unit.name,
        Unit.level,
        Unit.parent_code,
        Unit.phone,
        Unit.email,
    ]
    units: dict[str, _Row] = {
        row[0]: (row[1], row[2], row[3] or "", row[4], row[5])
        for row in session.exec(select(*columns))
    }
    schools: dict[str, _Row] = {
        row[0]: (row[1], row[2])
        for row in session.exec(select(School.code, School.name, School.unit_code))
    }
    return units, schools


def _new(tree: OrgTree) -> tuple[dict[str, _Row], dict[str, _Row]]:
    units: dict[str, _Row] = {
        u.code: (u.name, u.level.value, u.parent_code or "", u.phone, u.email) for u in tree.units()
    }
    schools: dict[str, _Row] = {s.code: (s.name, s.parent_code or "") for s in tree.schools()}
    return units, schools


def _digest(*tables: dict[str, _Row]) -> str:
    digest = hashlib.sha256()
    for table in tables:
        for code in sorted(table):
            digest.update("\x1f".join((code, *table[code])).encode() + b"\x1e")
        digest.update(b"\x1d")
    return digest.hexdigest()


def tree_changes(*, session: Session, tree: OrgTree) -> TreeChanges:
    """What replacing the stored tree with `tree` would change, and its digest (of both)."""
    old_units, old_schools = _stored(session)
    new_units, new_schools = _new(tree)
    changes = TreeChanges(
        digest=_digest(old_units, old_schools, new_units, new_schools),
        units=len(new_units),
        schools=len(new_schools),
    )

    def unit_name(code: str, units: dict[str, _Row]) -> str:
        return f"{units[code][0]}（{code}）" if code in units else code

    for code in sorted(new_units):
        name, level, parent, phone, email = new_units[code]
        old = old_units.get(code)
        if old is None:
            changes.units_added.add(Change(code, name))
            continue
        if old[0] != name:
            changes.units_renamed.add(Change(code, name, old[0], name))
        if old[2] != parent:
            before, after = unit_name(old[2], old_units), unit_name(parent, new_units)
            changes.units_moved.add(Change(code, name, before, after))
        if old[1] != level:
            before, after = LEVEL_LABELS[Level(old[1])], LEVEL_LABELS[Level(level)]
            changes.units_relevelled.add(Change(code, name, before, after))
        if (old[3], old[4]) != (phone, email):
            changes.contacts_changed += 1
    for code in sorted(set(old_units) - set(new_units)):
        changes.units_removed.add(Change(code, old_units[code][0]))
    for code in sorted(new_schools):
        name, unit = new_schools[code]
        old = old_schools.get(code)
        if old is None:
            changes.schools_added.add(Change(code, name))
            continue
        if old[0] != name:
            changes.schools_renamed.add(Change(code, name, old[0], name))
        if old[1] != unit:
            before, after = unit_name(old[1], old_units), unit_name(unit, new_units)
            changes.schools_moved.add(Change(code, name, before, after))
    removed_schools = sorted(set(old_schools) - set(new_schools))
    for code in removed_schools:
        changes.schools_removed.add(Change(code, old_schools[code][0]))
    names = {code: row[0] for code, row in (old_units | old_schools).items()}
    removed = set(old_units) - set(new_units) | set(removed_schools)
    changes.in_use = in_use(session=session, removed=removed, names=names)
    return changes


def in_use(*, session: Session, removed: set[str], names: dict[str, str]) -> list[InUse]:
    """The units and schools of `removed` that something still depends on, and what."""
    if not removed:
        return []
    tables = inspect(session.connection())
    found: dict[str, list[str]] = {}
    for label, table, pairs in _DEPENDENTS:
        if not tables.has_table(table):
            continue  # an older revision of the store (the migrations' tests import trees)
        codes = sorted(removed)
        for start in range(0, len(codes), 500):
            chunk = codes[start : start + 500]
            dependents: dict[str, set[object]] = {}
            for query in pairs(chunk):
                for code, dependent in session.exec(query):
                    dependents.setdefault(code, set()).add(dependent)
            for code, those in dependents.items():
                found.setdefault(code, []).append(label.format(len(those)))
    return [InUse(code, names.get(code, code), tuple(found[code])) for code in sorted(found)]


def _accounts(codes: list[str]) -> list[Any]:
    return [select(StaffUser.unit_code, StaffUser.id).where(col(StaffUser.unit_code).in_(codes))]


def _requests(codes: list[str]) -> list[Any]:
    pending = col(AccountRequest.status) == "pending"
    where = col(AccountRequest.unit_code).in_(codes)
    return [select(AccountRequest.unit_code, AccountRequest.id).where(where, pending)]


def _faq(codes: list[str]) -> list[Any]:
    return [select(Faq.unit_code, Faq.id).where(col(Faq.unit_code).in_(codes))]


def _running_cases(codes: list[str]) -> list[Any]:
    """A running case depends on its handling and receiving units, the schools it is about,
    and the units and schools with one of its clocks open (a step, a slip)."""
    running = col(Case.outcome) == ""
    about = select(CaseSchool.school_code, CaseSchool.case_id).join(
        Case, col(Case.id) == col(CaseSchool.case_id)
    )
    return [
        select(Case.handling_unit, Case.id).where(running, col(Case.handling_unit).in_(codes)),
        select(Case.receiving_unit, Case.id).where(running, col(Case.receiving_unit).in_(codes)),
        about.where(running, col(CaseSchool.school_code).in_(codes)),
        select(CaseClock.unit, CaseClock.case_id).where(
            col(CaseClock.status) == "open", col(CaseClock.unit).in_(codes)
        ),
    ]


def _open_campaigns(codes: list[str]) -> list[Any]:
    """A campaign not yet closed depends on its opener and on the units asked to report."""
    still_open = col(Campaign.status) != "closed"
    reporting = select(CampaignUnit.unit_code, CampaignUnit.campaign_id).join(
        Campaign, col(Campaign.id) == col(CampaignUnit.campaign_id)
    )
    return [
        select(Campaign.opener_unit, Campaign.id).where(
            still_open, col(Campaign.opener_unit).in_(codes)
        ),
        reporting.where(still_open, col(CampaignUnit.unit_code).in_(codes)),
    ]


_DEPENDENTS: list[tuple[str, str, Callable[[list[str]], list[Any]]]] = [
    ("{} 个工作人员账号", "staff_user", _accounts),
    ("{} 个待审批的账号申请", "account_request", _requests),
    ("{} 条常见问题解答", "faq", _faq),
    ("{} 件在办案件", "complaint_case", _running_cases),
    ("{} 项未结束的报送任务", "campaign", _open_campaigns),
]
