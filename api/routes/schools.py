"""Schools for the registration form: found by code prefix or part of the name, within the
caller's province (the Ministry's staff: the whole country)."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from api.case_search import refuse_unknown_parameters
from api.deps import CaseStaffDep, SessionDep, TreeDep
from api.schemas.org import SchoolOut
from api.security import query_error
from domain.orgtree import OrgTree, UnknownCodeError
from store.queries import schools_matching

router = APIRouter(prefix="/api/schools", tags=["schools"])

LIMIT = 20


@router.get("", response_model=list[SchoolOut], dependencies=[Depends(refuse_unknown_parameters)])
def find_schools(
    staff: CaseStaffDep,
    session: SessionDep,
    tree: TreeDep,
    q: Annotated[str, Query(min_length=1, max_length=50, description="学校代码开头或名称的一部分")],
) -> list[SchoolOut]:
    """At most 20 schools whose code starts with `q` or whose name contains it, by code."""
    text = q.strip()
    if not text:
        raise query_error("q", ["请输入学校代码或名称"])
    org = tree()
    try:
        province = org.province_of(staff.unit_code)
    except UnknownCodeError:  # the caller's own unit has left the tree since the login
        raise HTTPException(403, detail="本单位已不在组织机构中") from None
    units = None
    if province is not None:
        units = [
            unit.code for unit in org.units() if _province_code(org, unit.code) == province.code
        ]
    found = schools_matching(session=session, text=text, units=units, limit=LIMIT)
    return [
        SchoolOut(code=school.code, name=school.name, unit_code=unit.code, unit_name=unit.name)
        for school, unit in found
    ]


def _province_code(org: OrgTree, code: str) -> str | None:
    province = org.province_of(code)
    return province.code if province else None
