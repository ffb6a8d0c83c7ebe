"""Schools for the registration form: found by code prefix or part of the name, within the
caller's province (the Ministry's staff: the whole country)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.case_search import refuse_unknown_parameters
from api.deps import CaseStaffDep, SessionDep, TreeDep
from api.schemas.org import SchoolOut
from api.school_search import schools_for
from api.security import query_error

router = APIRouter(prefix="/api/schools", tags=["schools"])


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
    return schools_for(session=session, tree=tree(), unit_code=staff.unit_code, text=text)
