"""Evidence files (附件) of a case: upload (multipart), list, download. The rules are in
api/attachments.py, which the console uses too."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile

from api import attachments
from api.attachments import AttachmentOut
from api.audit_trail import PERSONAL_READ
from api.deps import BlobsDep, ClockDep, SealerDep, SessionDep, SettingsDep, SlipStaffDep

CaseId = Annotated[str, Path(max_length=64)]
FileId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def _reachable(complaint_id: CaseId, staff: SlipStaffDep, session: SessionDep) -> None:
    """404 before the body is read, for a case the caller has nothing of."""
    attachments.reachable(session, staff, complaint_id)


router = APIRouter(
    prefix="/api/complaints/{complaint_id}/attachments",
    tags=["attachments"],
    dependencies=[Depends(_reachable)],
)


@router.post("", status_code=201, response_model=AttachmentOut)
def upload_attachment(
    request: Request,
    complaint_id: CaseId,
    file: Annotated[UploadFile, File(description="PDF, an image or an Office document")],
    purpose: Annotated[str, Form(max_length=16)],
    staff: SlipStaffDep,
    session: SessionDep,
    sealer: SealerDep,
    blobs: BlobsDep,
    settings: SettingsDep,
    clock: ClockDep,
    slip_id: Annotated[str, Form(max_length=16)] = "",
) -> AttachmentOut:
    """Attach a file to the case (purpose case, opinion or informing: a unit that sees the
    case) or to a slip's return (slip_return with slip_id: the slip's addressee). 413 over the
    size limit, 415 for a type other than PDF, image or Office document (by its content)."""
    answer = attachments.upload(
        session,
        staff,
        blobs=blobs,
        sealer=sealer,
        now=clock,
        complaint_id=complaint_id,
        purpose=purpose,
        slip_id=slip_id,
        name=file.filename,
        stream=file.file,
        max_bytes=settings.attachment_max_bytes,
    )
    request.state.audit_detail = f"attachment={answer.id} sha256={answer.sha256}"
    return answer


@router.get("", dependencies=[PERSONAL_READ], response_model=list[AttachmentOut])
def list_attachments(
    complaint_id: CaseId, staff: SlipStaffDep, session: SessionDep, sealer: SealerDep
) -> list[AttachmentOut]:
    """The case's files the caller may see (a school: those of the slips addressed to it)."""
    return attachments.listed(session, staff, sealer, complaint_id)


@router.get(
    "/{attachment_id}",
    dependencies=[PERSONAL_READ],
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}},
)
def download_attachment(
    complaint_id: CaseId,
    attachment_id: FileId,
    staff: SlipStaffDep,
    session: SessionDep,
    sealer: SealerDep,
    blobs: BlobsDep,
) -> Response:
    """The file as a download (Content-Disposition: attachment), for those who may see it."""
    return attachments.download(
        session,
        staff,
        blobs=blobs,
        sealer=sealer,
        complaint_id=complaint_id,
        attachment_id=attachment_id,
    )
