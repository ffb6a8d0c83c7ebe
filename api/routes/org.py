"""/api/org: import the organisation tree (as `xueji org import`) and set units' contacts."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status

from api.deps import ClockDep, SessionDep, SysadminDep
from api.schemas.org import TreeImport, UnitContacts, UnitView
from api.security import field_error
from domain.orgtree import OrgTree, OrgTreeError, TreeRecordError
from store.models import Unit
from store.org import TreeInUseError, ancestor_path, replace_tree

router = APIRouter(prefix="/api/org", tags=["org"])


def _record_error(error: TreeRecordError) -> dict[str, Any]:
    """A refused record as a validation error; loc names the list and the record's index."""
    in_record = error.message.startswith(f"第{error.line}条记录")
    loc = ["body", error.file, *([error.line - 1] if in_record else [])]
    return {"loc": loc, "msg": error.message, "type": "value_error"}


@router.post("/import", responses={403: {}, 422: {}})
def import_tree(
    body: TreeImport, admin: SysadminDep, session: SessionDep, clock: ClockDep
) -> dict[str, int]:
    """Replace the whole tree, all or nothing: a system administrator of the root unit only."""
    if ancestor_path(session=session, code=admin.unit_code) != (admin.unit_code,):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="只有最上级单位的系统管理员可以导入组织机构树"
        )
    try:
        tree = OrgTree.from_records(body.units, body.schools)
    except OrgTreeError as exc:
        detail = [_record_error(error) for error in exc.errors]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail) from None
    try:
        units, schools = replace_tree(session=session, tree=tree, now=clock())
        session.commit()
    except TreeInUseError as exc:
        raise field_error("units", [str(exc)]) from None
    return {"units": units, "schools": schools}


@router.patch("/units/{code}", responses={404: {}, 422: {}})
def set_contacts(
    code: Annotated[str, Path(pattern=r"^\d{6}$")],
    body: UnitContacts,
    admin: SysadminDep,
    session: SessionDep,
    clock: ClockDep,
) -> UnitView:
    """Set the public complaint phone and e-mail of the administrator's unit or one below;
    saving them, even unchanged, records the date they were last confirmed (最近确认日期)."""
    unit = session.get(Unit, code)
    if unit is None or admin.unit_code not in ancestor_path(session=session, code=code):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="单位不存在")
    if body.phone is not None:
        unit.phone = body.phone
    if body.email is not None:
        unit.email = body.email
    if body.phone is not None or body.email is not None:
        unit.contact_confirmed_at = clock()
    session.add(unit)
    session.flush()
    view = UnitView.model_validate(unit, from_attributes=True)
    session.commit()
    return view
