"""Schools for the registration form, found by code prefix or part of the name within the
caller's province (the Ministry's staff: the whole country); the JSON route and the console's
school picker both ask here."""

from fastapi import HTTPException
from sqlmodel import Session

from api.schemas.org import SchoolOut
from domain.orgtree import OrgTree, UnknownCodeError
from store.queries import schools_matching

LIMIT = 20


def schools_for(*, session: Session, tree: OrgTree, unit_code: str, text: str) -> list[SchoolOut]:
    """At most LIMIT schools whose code starts with `text` or whose name contains it, by code,
    among those the staff of `unit_code` may register complaints about. 403 when the unit has
    left the tree."""
    try:
        province = tree.province_of(unit_code)
    except UnknownCodeError:  # the caller's own unit has left the tree since the login
        raise HTTPException(403, detail="本单位已不在组织机构中") from None
    units = None
    if province is not None:
        units = [
            unit.code for unit in tree.units() if _province_code(tree, unit.code) == province.code
        ]
    found = schools_matching(session=session, text=text, units=units, limit=LIMIT)
    return [
        SchoolOut(code=school.code, name=school.name, unit_code=unit.code, unit_name=unit.name)
        for school, unit in found
    ]


def _province_code(tree: OrgTree, code: str) -> str | None:
    province = tree.province_of(code)
    return province.code if province else None
