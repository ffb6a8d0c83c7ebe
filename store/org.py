"""Store functions for the organisation tree."""

from datetime import datetime
from typing import Any

from sqlalchemy import insert, inspect, update
from sqlmodel import Session, col, delete, func, select

from domain.orgtree import OrgTree, is_school_code
from store.models import OrgImport, School, Unit
from store.org_changes import TreeInUseError, in_use


def replace_tree(
    *, session: Session, tree: OrgTree, now: datetime | None = None
) -> tuple[int, int]:
    """Make the stored tree exactly `tree` (the caller's transaction makes it all or nothing).

    Units are updated in place, so staff accounts and FAQ entries keep their unit or school;
    a tree without a unit or school that something still depends on (store.org_changes.in_use:
    accounts, FAQ entries, running cases, open campaigns) raises TreeInUseError. With `now`,
    a unit whose public phone or e-mail the import changes counts as confirmed at `now`.
    """
    keep = {u.code for u in tree.units()} | {s.code for s in tree.schools()}
    names = {code: name for code, name in session.exec(select(Unit.code, Unit.name))}
    names.update((code, name) for code, name in session.exec(select(School.code, School.name)))
    used = in_use(session=session, removed=set(names) - keep, names=names)
    if used:
        raise TreeInUseError(used)
    tables = inspect(session.connection())
    # The date last confirmed came with revision 0008; older stores are imported without it.
    confirms = any(
        column["name"] == "contact_confirmed_at"
        for column in tables.get_columns(Unit.__tablename__)  # type: ignore[arg-type]
    )
    columns: list[Any] = [Unit.code, Unit.phone, Unit.email]
    if confirms:
        columns.append(Unit.contact_confirmed_at)
    stored: dict[str, tuple[str, str, datetime | None]] = {
        row[0]: (row[1], row[2], row[3] if confirms else None)
        for row in session.exec(select(*columns))
    }
    existing = set(stored)
    session.exec(delete(School))  # type: ignore[call-overload]
    stale = sorted(existing - keep)
    for start in range(0, len(stale), 1000):
        chunk = stale[start : start + 1000]
        session.exec(delete(Unit).where(col(Unit.code).in_(chunk)))  # type: ignore[call-overload]
    units: list[dict[str, Any]] = [
        {
            "code": u.code,
            "name": u.name,
            "level": u.level.value,
            "parent_code": u.parent_code,
            "phone": u.phone,
            "email": u.email,
        }
        for u in tree.units()
    ]
    schools = [{"code": s.code, "name": s.name, "unit_code": s.parent_code} for s in tree.schools()]
    # Core bulk statements: a national tree has half a million schools.
    updated = [unit for unit in units if unit["code"] in existing]
    added = [unit for unit in units if unit["code"] not in existing]
    if confirms:
        for unit in updated:
            unit["contact_confirmed_at"] = _confirmed(stored[unit["code"]], unit, now)
        for unit in added:
            unit["contact_confirmed_at"] = now if unit["phone"] or unit["email"] else None
    if updated:
        session.execute(update(Unit), updated)
    if added:
        session.execute(insert(Unit), added)
    if schools:
        session.execute(insert(School), schools)
    if tables.has_table(OrgImport.__tablename__):  # type: ignore[arg-type]
        session.add(OrgImport(imported_at=now, units=len(units), schools=len(schools)))
    return len(units), len(schools)


def _confirmed(
    stored: tuple[str, str, datetime | None], unit: dict[str, Any], now: datetime | None
) -> datetime | None:
    phone, email, confirmed = stored
    if now is not None and (phone, email) != (unit["phone"], unit["email"]):
        return now
    return confirmed


def counts(*, session: Session) -> tuple[int, int]:
    """How many units and schools the store holds."""
    units = session.exec(select(func.count()).select_from(Unit)).one()
    schools = session.exec(select(func.count()).select_from(School)).one()
    return units, schools


def directory(
    *, session: Session, level: str | None = None, province: str | None = None
) -> list[tuple[Unit, str | None]]:
    """Every unit with the code of its province (None above provincial level), by code,
    optionally only one level and one province's units."""
    units = {unit.code: unit for unit in session.exec(select(Unit))}
    listing = []
    for code in sorted(units):
        unit = units[code]
        unit_province = _province_of(units, unit)
        if (level is None or unit.level == level) and (
            province is None or unit_province == province
        ):
            listing.append((unit, unit_province))
    return listing


def _province_of(units: dict[str, Unit], unit: Unit) -> str | None:
    seen: set[str] = set()
    current: Unit | None = unit
    while current is not None and current.code not in seen:
        if current.level == "provincial":
            return current.code
        seen.add(current.code)
        current = units.get(current.parent_code) if current.parent_code else None
    return None


def unit_exists(*, session: Session, code: str) -> bool:
    return session.get(Unit, code) is not None


def school_exists(*, session: Session, code: str) -> bool:
    return session.get(School, code) is not None


def ancestor_path(*, session: Session, code: str) -> tuple[str, ...]:
    """Codes from the root down to the unit or school `code`, both included (a school's path is
    its supervising unit's and the school); empty for an unknown unit or school."""
    school = session.get(School, code) if is_school_code(code) else None
    if school is not None:
        above = ancestor_path(session=session, code=school.unit_code)
        return (*above, code) if above else ()
    path: list[str] = []
    current: str | None = code
    while current is not None and current not in path:  # a cycle cannot loop forever
        unit = session.get(Unit, current)
        if unit is None:
            return ()
        path.append(current)
        current = unit.parent_code
    return tuple(reversed(path))


def subtree_codes(*, session: Session, code: str) -> set[str]:
    """The unit `code` and every unit below it (bureaus only: a few thousand rows at most)."""
    children: dict[str, list[str]] = {}
    for child, parent in session.exec(select(Unit.code, Unit.parent_code)):
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found, todo = set(), [code]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return found
