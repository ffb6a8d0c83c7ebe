"""/api/org: the organisation tree (browse the caller's subtree, preview and import a new tree
as `xueji org import` does) and units' public contacts (set, confirm, list those to confirm).
The rules are api.org_service's, which the console's pages use too."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status

from api.deps import ClockDep, SessionDep, SysadminDep
from api.org_service import (
    apply_import,
    confirm_contacts,
    find_in_subtree,
    preview_import,
    require_importer,
    set_contacts,
    stale_contacts,
    unit_below,
)
from api.schemas.org import (
    FoundOut,
    ImportPreview,
    SchoolRow,
    TreeImport,
    UnitContacts,
    UnitDetail,
    UnitView,
)
from api.security import field_error
from domain.orgtree import OrgTree, OrgTreeError, TreeRecordError
from store.models import Unit
from store.org_changes import TreeChangedError, TreeChanges, TreeInUseError

router = APIRouter(prefix="/api/org", tags=["org"])

UnitCode = Annotated[str, Path(pattern=r"^\d{6}$", description="单位代码（6 位）")]


def _record_error(error: TreeRecordError) -> dict[str, Any]:
    """A refused record as a validation error; loc names the list and the record's index."""
    in_record = error.message.startswith(f"第{error.line}条记录")
    loc = ["body", error.file, *([error.line - 1] if in_record else [])]
    return {"loc": loc, "msg": error.message, "type": "value_error"}


def _tree(body: TreeImport) -> OrgTree:
    try:
        return OrgTree.from_records(body.units, body.schools)
    except OrgTreeError as exc:
        detail = [_record_error(error) for error in exc.errors]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail) from None


def preview_out(changes: TreeChanges) -> ImportPreview:
    return ImportPreview.model_validate(asdict(changes))


@router.post("/import/preview", responses={403: {}, 422: {}})
def preview_tree(body: TreeImport, admin: SysadminDep, session: SessionDep) -> ImportPreview:
    """What importing this tree would change (units and schools added, renamed, moved,
    re-levelled, removed; contacts changed), changing nothing; `in_use` names the removals
    an import refuses (accounts, FAQ entries, running cases, open campaigns depend on them).
    Import with the answer's `digest` to import exactly this."""
    require_importer(session, admin)  # before the body is looked at
    return preview_out(preview_import(session, admin, _tree(body)))


@router.post("/import", responses={403: {}, 409: {}, 422: {}})
def import_tree(
    request: Request, body: TreeImport, admin: SysadminDep, session: SessionDep, clock: ClockDep
) -> dict[str, int]:
    """Replace the whole tree, all or nothing: a system administrator of the root unit only.
    With `digest` (from the preview), 409 when the stored tree or the body is not the one
    previewed; 422 naming the units and schools that are still in use. The audit record
    counts the changes."""
    require_importer(session, admin)  # before the body is looked at
    tree = _tree(body)
    try:
        changes = apply_import(session, admin, tree, body.digest, clock())
        session.commit()
    except TreeInUseError as exc:
        raise field_error("units", [str(exc)]) from None
    except TreeChangedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    request.state.audit_detail = changes.summary()
    return {"units": changes.units, "schools": changes.schools}


@router.get("/units/{code}", responses={404: {}})
def get_unit(code: UnitCode, admin: SysadminDep, session: SessionDep) -> UnitDetail:
    """A unit of the administrator's subtree, the units directly below it and its schools."""
    below = unit_below(session, admin, code)
    return UnitDetail(
        **_view(below.unit).model_dump(),
        parent_name=below.parent.name if below.parent else None,
        children=[_view(child) for child in below.children],
        schools=[SchoolRow(code=school.code, name=school.name) for school in below.schools],
    )


@router.get("/search", responses={422: {}})
def search_tree(
    admin: SysadminDep,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=50, description="名称中的文字或代码的开头")],
) -> list[FoundOut]:
    """Units and schools of the administrator's subtree by name or code (at most 50)."""
    return [FoundOut(**asdict(found)) for found in find_in_subtree(session, admin, q)]


@router.patch("/units/{code}", responses={404: {}, 422: {}})
def set_unit_contacts(
    code: UnitCode, body: UnitContacts, admin: SysadminDep, session: SessionDep, clock: ClockDep
) -> UnitView:
    """Set the public complaint phone and e-mail of the administrator's unit or one below;
    saving them, even unchanged, records the date they were last confirmed (最近确认日期)."""
    unit = set_contacts(session, admin, code, phone=body.phone, email=body.email, now=clock())
    view = _view(unit)
    session.commit()
    return view


@router.post("/units/{code}/confirm", responses={404: {}})
def confirm_unit_contacts(
    code: UnitCode, admin: SysadminDep, session: SessionDep, clock: ClockDep
) -> UnitView:
    """The unit's phone and e-mail are still right (确认无变化): records today as confirmed."""
    view = _view(confirm_contacts(session, admin, code, now=clock()))
    session.commit()
    return view


@router.get("/contacts/stale", responses={403: {}})
def list_stale_contacts(admin: SysadminDep, session: SessionDep, clock: ClockDep) -> list[UnitView]:
    """The units of a provincial or national administrator's subtree whose phone and e-mail
    were never confirmed or were last confirmed more than a year ago, by code."""
    return [_view(unit) for unit in stale_contacts(session, admin, clock())]


def _view(unit: Unit) -> UnitView:
    return UnitView.model_validate(unit, from_attributes=True)
