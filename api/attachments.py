"""Evidence files (附件) of a case, for the JSON routes and the console alike: upload (size
limited, type found in the content by `filetype`, never by the name), list and download.

Who: a bureau that sees the case uploads to it (a case file, the opinion's, the informing's)
and sees all its files; a slip's addressee (a school too) uploads to its slip's return and
sees the files of the slips addressed to it. What may not be seen is 404, as what does not
exist. Uploads and downloads are audited by api/audit_trail (a POST, and a PERSONAL_READ).
"""

import re
from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO
from urllib.parse import quote

import filetype  # type: ignore[import-untyped]
from fastapi import HTTPException, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from api.answers import in_beijing_time
from api.body_limit import size_text
from api.security import Staff
from domain.records import AttachmentRef
from store import attachments
from store.blobs import BlobStore
from store.models import Attachment, CaseSlip
from store.models.attachments import PURPOSES
from store.queries import visible_case, visible_slip
from store.sealing import Sealer

NO_FILE = "没有这个附件"
# What may be uploaded, by the type found in the content: PDF, images, Office documents.
ALLOWED = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG 图片",
    "image/png": "PNG 图片",
    "image/gif": "GIF 图片",
    "image/tiff": "TIFF 图片",
    "image/webp": "WebP 图片",
    "image/heic": "HEIC 图片",
    "application/msword": "Word 文档",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档",
    "application/vnd.ms-excel": "Excel 表格",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 表格",
    "application/vnd.ms-powerpoint": "PowerPoint 演示文稿",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
}
NAME_LENGTH = 200
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class AttachmentOut(BaseModel):
    """A file as listed: what the history and the slip PDFs refer to it by (id, sha256)."""

    id: str
    name: str
    size: int
    content_type: str
    sha256: str
    purpose: str  # case | slip_return | opinion | informing
    slip_id: str
    unit_code: str
    uploaded_by: str
    uploaded_at: datetime


def out(row: Attachment, sealer: Sealer) -> AttachmentOut:
    return in_beijing_time(
        AttachmentOut(
            id=row.id,
            name=attachments.name_of(row, sealer),
            size=row.size,
            content_type=row.content_type,
            sha256=row.sha256,
            purpose=row.purpose,
            slip_id=row.slip_id,
            unit_code=row.unit_code,
            uploaded_by=row.uploaded_by,
            uploaded_at=row.uploaded_at,
        )
    )


def sniffed_type(data: bytes) -> str:
    """The content type found in the bytes, when it is one of ALLOWED; 415 otherwise."""
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        raise HTTPException(
            415, detail="file：只能上传 PDF、图片（JPEG、PNG 等）或 Office 文档（按文件内容判断）"
        )
    return str(kind.mime)


def read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    """At most `max_bytes` of the upload: 413 when there is more, 422 when there is nothing."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise HTTPException(413, detail=f"file：文件不得超过 {size_text(max_bytes)}")
    if not data:
        raise HTTPException(422, detail="file：文件为空")
    return data


def clean_name(name: str | None) -> str:
    """The file's name as given, without folders or control characters, for display only."""
    name = _UNSAFE_NAME.sub("", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:NAME_LENGTH] or "附件"


def check_upload(
    session: Session, staff: Staff, complaint_id: str, purpose: str, slip_id: str
) -> None:
    """Whether the caller may attach a file for `purpose`: 422 for a bad purpose, 404 for a
    case or slip it may not see, 403 for a slip that is not addressed to its unit."""
    if purpose not in PURPOSES:
        raise HTTPException(422, detail=f"purpose：应为 {'、'.join(PURPOSES)} 之一")
    if purpose == "slip_return":
        if not slip_id:
            raise HTTPException(422, detail="slip_id：反馈单据的附件须注明单据编号")
        slip = visible_slip(
            session=session, unit_code=staff.unit_code, complaint_id=complaint_id, slip_id=slip_id
        )
        if slip is None:
            raise HTTPException(404, detail="没有这张单据")
        if slip.addressee != staff.unit_code:
            raise HTTPException(403, detail="只有单据的接收单位可以上传反馈附件")
        return
    if slip_id:
        raise HTTPException(422, detail="slip_id：只有反馈单据的附件注明单据编号")
    if visible_case(session=session, unit_code=staff.unit_code, case_id=complaint_id) is None:
        raise HTTPException(404, detail="没有这个案件")


def upload(
    session: Session,
    staff: Staff,
    *,
    blobs: BlobStore,
    sealer: Sealer,
    now: Callable[[], datetime],
    complaint_id: str,
    purpose: str,
    slip_id: str,
    name: str | None,
    stream: BinaryIO,
    max_bytes: int,
) -> AttachmentOut:
    """Check, seal and keep one uploaded file; the file as listed."""
    check_upload(session, staff, complaint_id, purpose, slip_id)
    data = read_limited(stream, max_bytes)
    new = attachments.NewFile(clean_name(name), data, sniffed_type(data))
    row = attachments.add(
        session=session,
        blobs=blobs,
        sealer=sealer,
        complaint_id=complaint_id,
        purpose=purpose,
        slip_id=slip_id,
        unit_code=staff.unit_code,
        uploaded_by=staff.username,
        uploaded_at=now(),
        file=new,
    )
    return out(row, sealer)


def reachable(session: Session, staff: Staff, complaint_id: str) -> list[str] | None:
    """How much of the case's files the caller may reach: None for all (its unit sees the
    case), else the ids of the slips addressed to it; 404 when it is neither."""
    if visible_case(session=session, unit_code=staff.unit_code, case_id=complaint_id):
        return None
    own_slips = list(
        session.exec(
            select(CaseSlip.slip_id).where(
                CaseSlip.case_id == complaint_id, col(CaseSlip.addressee) == staff.unit_code
            )
        )
    )
    if not own_slips:
        raise HTTPException(404, detail="没有这个案件")
    return own_slips


def visible(session: Session, staff: Staff, complaint_id: str) -> list[Attachment]:
    """The case's files the caller may see: all of a case its unit sees, else those of the
    slips addressed to it; 404 when that is nothing of a case it cannot see at all."""
    slip_ids = reachable(session, staff, complaint_id)
    return attachments.of_case(session=session, complaint_id=complaint_id, slip_ids=slip_ids)


def listed(
    session: Session, staff: Staff, sealer: Sealer, complaint_id: str
) -> list[AttachmentOut]:
    return [out(row, sealer) for row in visible(session, staff, complaint_id)]


def download(
    session: Session,
    staff: Staff,
    *,
    blobs: BlobStore,
    sealer: Sealer,
    complaint_id: str,
    attachment_id: str,
) -> Response:
    """The file, always as a download (never shown inline), under its sniffed type."""
    try:
        seen = visible(session, staff, complaint_id)
    except HTTPException:
        seen = []
    row = next((row for row in seen if row.id == attachment_id), None)
    if row is None:
        raise HTTPException(404, detail=NO_FILE)
    data = attachments.content(row, blobs=blobs, sealer=sealer)
    name = attachments.name_of(row, sealer)
    return Response(
        data,
        media_type=row.content_type if row.content_type in ALLOWED else "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "no-store",
        },
    )


def references(
    session: Session, staff: Staff, complaint_id: str, ids: list[str], *, slip_id: str = ""
) -> list[AttachmentRef]:
    """What an action carries into the history for the files it names: each uploaded by the
    caller's unit to this case (to that slip, for a slip return); 422 naming the first that
    is not."""
    found: list[AttachmentRef] = []
    for attachment_id in dict.fromkeys(ids):
        row = attachments.get(
            session=session, complaint_id=complaint_id, attachment_id=attachment_id
        )
        if row is None or row.unit_code != staff.unit_code or row.slip_id != slip_id:
            raise HTTPException(422, detail=f"attachments：没有可用的附件 {attachment_id}")
        found.append(AttachmentRef(attachment_id=row.id, sha256=row.sha256))
    return found
