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
