"""组织机构: a system administrator browses its subtree (units, their schools and contacts,
a search by name or code), and the top unit's imports a new tree from the two files that
`xueji org import` and `POST /api/org/import` take: upload, preview what changes, apply.

The upload is checked and kept as a draft (store/org_drafts) so that the preview's page can
apply exactly what it shows; the apply carries the preview's digest and is refused (409) when
the stored tree changed meanwhile. The rules are api.org_service's, as for /api/org."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    File,
    Form,
    HTTPException,
    Path,
    Query,
    Request,
    UploadFile,
    status,
)
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.admin_scope import is_national
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, PostedByDep, acting_as
from api.console.render import page
from api.deps import ClockDep, SessionDep
from api.org_service import (
    FOUND_AT_MOST,
    apply_import,
    find_in_subtree,
    preview_import,
    require_importer,
    unit_below,
)
from domain.orgtree import LEVEL_LABELS, OrgTreeError
from domain.orgtree_files import read_uploads
from domain.roles import Role
from store.org_changes import LISTED, TreeChangedError, TreeInUseError
from store.org_drafts import drop_draft, load_draft, save_draft

router = APIRouter(prefix=f"{PATH}/org", tags=["console"], default_response_class=HTMLResponse)

UnitCode = Annotated[str, Path(pattern=r"^\d{6}$")]
DraftId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
LEVEL_NAMES = {level.value: label for level, label in LEVEL_LABELS.items()}
FILE_LABELS = {"units": "单位文件", "schools": "学校文件"}
NO_DRAFT = "没有这次上传的预览（已导入、已超过一天，或不是本人上传的），请重新上传文件"


@router.get("")
def tree_home(
    user: ConsoleUserDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=50)] = "",
    imported: Annotated[str | None, Query(pattern=r"^\d{1,7}-\d{1,7}$")] = None,
) -> HTMLResponse:
    """The administrator's own unit (its units below, schools, contacts) and the search;
    after an import, a line saying how many units and schools the tree now has."""
    staff = acting_as(user, (Role.SYSADMIN,))
    found = find_in_subtree(session, staff, q) if q.strip() else None
    counts = tuple(int(n) for n in imported.split("-")) if imported else None
    return _unit_page(session, user, staff.unit_code, q=q, found=found, imported=counts)


@router.get("/units/{code}")
def unit_page(user: ConsoleUserDep, session: SessionDep, code: UnitCode) -> HTMLResponse:
    acting_as(user, (Role.SYSADMIN,))
    return _unit_page(session, user, code)


def _unit_page(session: Session, user: ConsoleUser, code: str, **search: Any) -> HTMLResponse:
    below = unit_below(session, user.staff, code)
    return page(
        "console/org.html",
        user=user,
        title="组织机构",
        active="org",
        below=below,
        own=code == user.staff.unit_code,
        levels=LEVEL_NAMES,
        may_import=is_national(session, user.staff),
        found_at_most=FOUND_AT_MOST,
        **search,
    )


# ---------------------------------------------------------------- importing a new tree


@router.get("/import")
def import_form(user: ConsoleUserDep, session: SessionDep) -> HTMLResponse:
    _importer(session, user)
    return _import_form(user, 200)


def _importer(session: Session, user: ConsoleUser) -> None:
    require_importer(session, acting_as(user, (Role.SYSADMIN,)))


def _import_form(
    user: ConsoleUser, status_code: int, errors: list[tuple[str, str]] | None = None
) -> HTMLResponse:
    return page(
        "console/org_import.html",
        status_code,
        user=user,
        title="导入组织机构树",
        active="org",
        errors=errors or [],
        labels=FILE_LABELS,
    )


@router.post("/import")
async def upload(
    user: PostedByDep,
    session: SessionDep,
    clock: ClockDep,
    units: Annotated[UploadFile | None, File()] = None,
    schools: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Check both files as `xueji org import` does; keep them and show the preview, or show
    the form again with every problem by file and line (422), keeping nothing."""
    _importer(session, user)
    files = {"units": units, "schools": schools}
    missing = [
        (name, "请选择文件") for name, file in files.items() if not file or not file.filename
    ]
    if missing:
        return _import_form(user, 422, missing)
    assert units is not None and schools is not None and units.filename and schools.filename
    units_name, schools_name = units.filename, schools.filename
    if units_name == schools_name:
        schools_name = f"{schools_name}（学校）"  # the errors name the file they are in
    try:
        tree = read_uploads(units_name, await units.read(), schools_name, await schools.read())
    except OrgTreeError as exc:
        errors = [
            ("units" if error.file == units_name else "schools", str(error)) for error in exc.errors
        ]
        return _import_form(user, 422, errors)
    draft_id = save_draft(
        session=session,
        tree=tree,
        created_by=user.staff.username,
        units_file=units_name,
        schools_file=schools_name,
        now=clock(),
    )
    session.commit()
    return RedirectResponse(f"{PATH}/org/import/{draft_id}", status_code=303)


@router.get("/import/{draft_id}")
def preview(
    user: ConsoleUserDep, session: SessionDep, clock: ClockDep, draft_id: DraftId
) -> HTMLResponse:
    """What applying the uploaded tree would change now, and the button that applies it."""
    _importer(session, user)
    return _preview(session, user, clock(), draft_id, 200)


def _preview(
    session: Session,
    user: ConsoleUser,
    now: datetime,
    draft_id: str,
    status_code: int,
    problem: str = "",
) -> HTMLResponse:
    draft = load_draft(session=session, draft_id=draft_id, created_by=user.staff.username, now=now)
    if draft is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_DRAFT)
    changes = preview_import(session, user.staff, draft.tree)
    return page(
        "console/org_preview.html",
        status_code,
        user=user,
        title="导入组织机构树：预览",
        active="org",
        draft=draft,
        changes=changes,
        listed=LISTED,
        problem=problem,
    )


@router.post("/import/{draft_id}")
def apply(
    request: Request,
    user: PostedByDep,
    session: SessionDep,
    clock: ClockDep,
    draft_id: DraftId,
    digest: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Apply the previewed tree: 409 with a fresh preview when the stored tree changed since,
    422 naming the units still in use; then the tree's page says what was imported."""
    _importer(session, user)
    now = clock()
    draft = load_draft(session=session, draft_id=draft_id, created_by=user.staff.username, now=now)
    if draft is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_DRAFT)
    try:
        changes = apply_import(session, user.staff, draft.tree, digest, now)
    except TreeChangedError as exc:
        session.rollback()
        return _preview(session, user, now, draft_id, 409, str(exc))
    except TreeInUseError:  # the fresh preview names them
        session.rollback()
        return _preview(session, user, now, draft_id, 422)
    drop_draft(session=session, draft_id=draft_id)
    session.commit()
    request.state.audit_detail = changes.summary()
    imported = f"{changes.units}-{changes.schools}"
    return RedirectResponse(f"{PATH}/org?imported={imported}", status_code=303)
