"""Evidence files (附件) on the console's case page: the upload form beside the actions, and
the downloads of the list. The rules are api/attachments.py's, as for the JSON routes; a
refused upload shows the page again with the reason beside the form and keeps nothing."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, UploadFile
from fastapi.responses import RedirectResponse, Response

from api import attachments
from api.audit_trail import PERSONAL_READ
from api.console.auth import PATH, ConsoleUserDep
from api.console.case_page import CaseId, DeskDep, refused_page
from api.console.reasons import reason_of
from api.deps import BlobsDep, ClockDep, SealerDep, SessionDep, SettingsDep, store_call
from api.security import check_role
from domain.roles import CASE_STAFF, SCHOOL_ROLES

FileId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def _reachable(complaint_id: CaseId, user: ConsoleUserDep, session: SessionDep) -> None:
    """403 for a role without cases (administrators), 404 before the form is read for a case
    the caller has nothing of."""
    check_role(user.staff, CASE_STAFF, SCHOOL_ROLES)
    attachments.reachable(session, user.staff, complaint_id)


router = APIRouter(prefix=f"{PATH}/cases", tags=["console"], dependencies=[Depends(_reachable)])


@router.post("/{complaint_id}/attachments")
async def upload_attachment(
    desk: DeskDep,
    file: Annotated[UploadFile, File()],
    blobs: BlobsDep,
    settings: SettingsDep,
    clock: ClockDep,
    target: Annotated[str, Form(max_length=32)] = "case",
) -> Response:
    """`target` is a purpose (case, opinion, informing) or `slip_return:V1`."""
    purpose, _, slip_id = target.partition(":")
    try:
        await store_call(
            desk.session,
            attachments.upload,
            desk.session,
            desk.user.staff,
            blobs=blobs,
            sealer=desk.sealer,
            now=clock,
            complaint_id=desk.complaint_id,
            purpose=purpose,
            slip_id=slip_id,
            name=file.filename,
            stream=file.file,
            max_bytes=settings.attachment_max_bytes,
        )
    except HTTPException as exc:
        if exc.status_code == 404:
            raise
        return await refused_page(desk, "files", exc.status_code, reason_of(exc), {})
    location = f"{PATH}/cases/{desk.complaint_id}?done=files#files"
    return RedirectResponse(location, status_code=303)


@router.get("/{complaint_id}/attachments/{attachment_id}", dependencies=[PERSONAL_READ])
def download_attachment(
    complaint_id: CaseId,
    attachment_id: FileId,
    user: ConsoleUserDep,
    session: SessionDep,
    sealer: SealerDep,
    blobs: BlobsDep,
) -> Response:
    """The file as a download, for whoever may see it (a school: its own slip's files)."""
    return attachments.download(
        session,
        user.staff,
        blobs=blobs,
        sealer=sealer,
        complaint_id=complaint_id,
        attachment_id=attachment_id,
    )
