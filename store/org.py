"""Store functions for the organisation tree."""

from sqlalchemy import insert
from sqlmodel import Session, delete, func, select

from domain.orgtree import OrgTree
from store.models import School, Unit


def replace_tree(*, session: Session, tree: OrgTree) -> tuple[int, int]:
    """Make the stored tree exactly `tree` (the caller's transaction makes it all or nothing)."""
    session.exec(delete(School))  # type: ignore[call-overload]
    session.exec(delete(Unit))  # type: ignore[call-overload]
    units = [
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
    # Core bulk inserts: a national tree has half a million schools.
    if units:
        session.execute(insert(Unit), units)
    if schools:
        session.execute(insert(School), schools)
    return len(units), len(schools)


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


def ancestor_path(*, session: Session, code: str) -> tuple[str, ...]:
    """Codes from the root down to the unit `code`, both included; empty for an unknown unit."""
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
