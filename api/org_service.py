"""The organisation tree as administrators work on it, for /api/org and the console's 组织机构
and 投诉电话和邮箱 pages alike: a unit of the caller's subtree with what lies below it, a search
of that subtree, a new tree's preview and its import, and the units' public contacts.

Who: a system administrator (系统管理员), within its own unit's subtree (404 outside it, as for
a unit that does not exist); the import only the top unit's (国家级 settings, 403 otherwise);
the list of contacts to confirm only a provincial or national unit's."""

from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException, status
from sqlmodel import Session, col, or_, select

from api.admin_scope import in_scope, require_national
from api.security import Staff
from domain.orgtree import Level, OrgTree
from store.models import School, Unit
from store.org import replace_tree, subtree_codes
from store.org_changes import TreeChangedError, TreeChanges, tree_changes

NO_UNIT = "单位不存在，或不在本单位及下级单位之内"
FOUND_AT_MOST = 50
STALE_LEVELS = (Level.NATIONAL.value, Level.PROVINCIAL.value)
STALE_REFUSAL = "只有省级及以上单位的系统管理员可以查看辖区内待确认的投诉电话和邮箱"
IMPORT_REFUSAL = "只有最上级单位的系统管理员可以导入组织机构树"


@dataclass(frozen=True)
class UnitBelow:
    """A unit of the subtree with its parent, the units directly below and its schools."""

    unit: Unit
    parent: Unit | None  # None for the top of the tree, or above the caller's own unit
    children: list[Unit]
    schools: list[School]


@dataclass(frozen=True)
class Found:
    """A unit or school whose name or code matched a search."""

    kind: str  # "unit" | "school"
    code: str
    name: str
    unit_code: str  # the unit's own code; a school's supervising unit


def unit_of(session: Session, admin: Staff, code: str) -> Unit:
    """The unit `code` when it lies in the administrator's subtree; 404 otherwise."""
    unit = session.get(Unit, code) if len(code) == 6 and code.isdigit() else None
    if unit is None or not in_scope(session, admin, code):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_UNIT)
    return unit


def unit_below(session: Session, admin: Staff, code: str) -> UnitBelow:
    """The unit `code` of the administrator's subtree with its children and schools, by code."""
    unit = unit_of(session, admin, code)
    parent = None
    if unit.parent_code is not None and code != admin.unit_code:
        parent = session.get(Unit, unit.parent_code)
    children = session.exec(
        select(Unit).where(col(Unit.parent_code) == code).order_by(col(Unit.code))
    ).all()
    schools = session.exec(
        select(School).where(col(School.unit_code) == code).order_by(col(School.code))
    ).all()
    return UnitBelow(unit, parent, list(children), list(schools))


def find_in_subtree(session: Session, admin: Staff, text: str) -> list[Found]:
    """Units and schools of the administrator's subtree whose name holds `text` or whose code
    starts with it, units first, each by code; at most FOUND_AT_MOST."""
    text = text.strip()
    if not text:
        return []
    codes = subtree_codes(session=session, code=admin.unit_code)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern, prefix = f"%{escaped}%", f"{escaped}%"  # LIKE's wildcards typed are literal
    units = select(Unit).where(
        or_(col(Unit.name).like(pattern, escape="\\"), col(Unit.code).like(prefix, escape="\\"))
    )
    found = [
        Found("unit", unit.code, unit.name, unit.code)
        for unit in session.exec(units.order_by(col(Unit.code)))
        if unit.code in codes
    ][:FOUND_AT_MOST]
    schools = select(School).where(
        or_(col(School.name).like(pattern, escape="\\"), col(School.code).like(prefix, escape="\\"))
    )
    for school in session.exec(schools.order_by(col(School.code))):
        if len(found) >= FOUND_AT_MOST:
            break
        if school.unit_code in codes:
            found.append(Found("school", school.code, school.name, school.unit_code))
    return found


# ---------------------------------------------------------------- importing a new tree


def preview_import(session: Session, admin: Staff, tree: OrgTree) -> TreeChanges:
    """What importing `tree` would change, with the digest an import must carry to apply it."""
    require_importer(session, admin)
    return tree_changes(session=session, tree=tree)


def apply_import(
    session: Session, admin: Staff, tree: OrgTree, digest: str | None, now: datetime
) -> TreeChanges:
    """Replace the stored tree with `tree` (store.org.replace_tree: removals something still
    depends on raise TreeInUseError) and say what changed. With `digest`, only if the stored
    tree and `tree` are still those that preview gave that digest for (TreeChangedError)."""
    require_importer(session, admin)
    changes = tree_changes(session=session, tree=tree)
    if digest is not None and changes.digest != digest:
        raise TreeChangedError
    replace_tree(session=session, tree=tree, now=now)
    return changes


def require_importer(session: Session, admin: Staff) -> None:
    """403 unless the administrator belongs to the top of the tree (national settings)."""
    try:
        require_national(session, admin)
    except HTTPException as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=IMPORT_REFUSAL) from exc


# ---------------------------------------------------------------- public contacts


def set_contacts(
    session: Session,
    admin: Staff,
    code: str,
    *,
    phone: str | None,
    email: str | None,
    now: datetime,
) -> Unit:
    """Set the unit's public complaint phone and e-mail (None: keep it); saving either, even
    unchanged, records `now` as the date they were last confirmed (最近确认日期)."""
    unit = unit_of(session, admin, code)
    if phone is not None:
        unit.phone = phone
    if email is not None:
        unit.email = email
    if phone is not None or email is not None:
        unit.contact_confirmed_at = now
    session.add(unit)
    session.flush()
    return unit


def confirm_contacts(session: Session, admin: Staff, code: str, *, now: datetime) -> Unit:
    """Record that the unit's phone and e-mail, unchanged, were confirmed `now` (确认无变化)."""
    unit = unit_of(session, admin, code)
    unit.contact_confirmed_at = now
    session.add(unit)
    session.flush()
    return unit


def year_before(now: datetime) -> datetime:
    """The same moment a calendar year earlier (29 February: the 28th)."""
    try:
        return now.replace(year=now.year - 1)
    except ValueError:
        return now.replace(year=now.year - 1, day=28)


def is_stale(unit: Unit, now: datetime) -> bool:
    """Never confirmed, or last confirmed more than a year before `now`."""
    confirmed = unit.contact_confirmed_at
    return confirmed is None or confirmed < year_before(now)


def may_list_stale(session: Session, admin: Staff) -> bool:
    unit = session.get(Unit, admin.unit_code)
    return unit is not None and unit.level in STALE_LEVELS


def stale_contacts(session: Session, admin: Staff, now: datetime) -> list[Unit]:
    """The units of a provincial or national administrator's subtree whose contacts were never
    confirmed or were confirmed more than a year before `now`, by code; 403 below a province."""
    if not may_list_stale(session, admin):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=STALE_REFUSAL)
    codes = subtree_codes(session=session, code=admin.unit_code)
    cutoff = year_before(now)
    query = select(Unit).where(
        or_(col(Unit.contact_confirmed_at).is_(None), col(Unit.contact_confirmed_at) < cutoff)
    )
    return [unit for unit in session.exec(query.order_by(col(Unit.code))) if unit.code in codes]
