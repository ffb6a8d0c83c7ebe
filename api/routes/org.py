"""/api/org: import the organisation tree (as `xueji org import`) and set units' contacts."""

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import AfterValidator, BaseModel, Field

from api.answers import Reply
from api.deps import ClockDep, EngineDep, SysadminDep
from api.security import field_error
from domain.orgtree import OrgTree, OrgTreeError, RecordError
from store.db import session_scope
from store.models import Unit
from store.org import TreeInUseError, ancestor_path, replace_tree

router = APIRouter(prefix="/api/org", tags=["org"])

_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{1,30}[0-9]", re.ASCII)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _phone(value: str) -> str:
    value = value.strip()
    if value and not _PHONE.fullmatch(value):
        raise ValueError("电话号码格式不正确：只能包含数字、空格、括号、连字符，可以 + 开头")
    return value


def check_email(value: str) -> str:
    """The address stripped; a malformed one is a ValueError (an empty one passes)."""
    value = value.strip()
    if value and not _EMAIL.fullmatch(value):
        raise ValueError("电子邮箱格式不正确")
    return value


class TreeImport(BaseModel):
    """The records of the JSON files `xueji org import` reads, as two lists."""

    units: list[Any] = Field(description="code、name、level、parent_code、phone、email")
    schools: list[Any] = Field(description="code、name、unit_code")


class UnitContacts(BaseModel):
    """The unit's public complaint phone and e-mail; an empty string clears one."""

    phone: Annotated[str, Field(max_length=32), AfterValidator(_phone)] | None = None
    email: Annotated[str, Field(max_length=254), AfterValidator(check_email)] | None = None


class UnitView(Reply):
    code: str
    name: str
    level: str
    parent_code: str | None
    phone: str
    email: str
    contact_confirmed_at: datetime | None


def _record_error(error: RecordError) -> dict[str, Any]:
    """A refused record as a validation error; loc names the list and the record's index."""
    in_record = error.message.startswith(f"第{error.line}条记录")
    loc = ["body", error.file, *([error.line - 1] if in_record else [])]
    return {"loc": loc, "msg": error.message, "type": "value_error"}


@router.post("/import", responses={403: {}, 422: {}})
def import_tree(
    body: TreeImport, admin: SysadminDep, engine: EngineDep, clock: ClockDep
) -> dict[str, int]:
    """Replace the whole tree, all or nothing: a system administrator of the root unit only."""
    with session_scope(engine) as session:
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
        with session_scope(engine) as session:
            units, schools = replace_tree(session=session, tree=tree, now=clock())
    except TreeInUseError as exc:
        raise field_error("units", [str(exc)]) from None
    return {"units": units, "schools": schools}


@router.patch("/units/{code}", responses={404: {}, 422: {}})
def set_contacts(
    code: Annotated[str, Path(pattern=r"^\d{6}$")],
    body: UnitContacts,
    admin: SysadminDep,
    engine: EngineDep,
    clock: ClockDep,
) -> UnitView:
    """Set the public complaint phone and e-mail of the administrator's unit or one below;
    saving them, even unchanged, records the date they were last confirmed (最近确认日期)."""
    with session_scope(engine) as session:
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
        return UnitView.model_validate(unit, from_attributes=True)
