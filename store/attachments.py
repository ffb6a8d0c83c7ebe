"""Evidence files (附件) in the store: the row (store/models/attachments.py) and the sealed file
in the blob store (store/blobs.py), sealed with the store keys and bound to the file's id."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from store.blobs import BlobMissing, BlobStore
from store.models import Attachment
from store.rotation import ColumnReport
from store.sealing import Sealer, binding


@dataclass(frozen=True)
class NewFile:
    """An upload as checked: its name as given, its bytes and the type found in them."""

    name: str
    data: bytes
    content_type: str


def blob_binding(attachment_id: str) -> bytes:
    """What a sealed file is bound to: a blob copied under another id no longer opens."""
    return binding("case_attachment", "blob", attachment_id)


def add(
    *,
    session: Session,
    blobs: BlobStore,
    sealer: Sealer,
    complaint_id: str,
    purpose: str,
    slip_id: str,
    unit_code: str,
    uploaded_by: str,
    uploaded_at: datetime,
    file: NewFile,
) -> Attachment:
    """Seal `file` into the blob store, then record it (committed); the new row."""
    attachment_id = uuid.uuid4().hex
    blobs.put(attachment_id, sealer.seal_bytes(file.data, bound_to=blob_binding(attachment_id)))
    row = Attachment(
        id=attachment_id,
        complaint_id=complaint_id,
        purpose=purpose,
        slip_id=slip_id,
        unit_code=unit_code,
        uploaded_by=uploaded_by,
        uploaded_at=uploaded_at,
        size=len(file.data),
        content_type=file.content_type,
        sha256=hashlib.sha256(file.data).hexdigest(),
        blob_key=attachment_id,
    )
    sealer.seal_column(row, "sealed_name", file.name)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def of_case(
    *, session: Session, complaint_id: str, slip_ids: list[str] | None = None
) -> list[Attachment]:
    """The files of a case, oldest first; only those of `slip_ids` when given."""
    query = select(Attachment).where(Attachment.complaint_id == complaint_id)
    if slip_ids is not None:
        query = query.where(col(Attachment.slip_id).in_(slip_ids))
    return list(session.exec(query.order_by(col(Attachment.uploaded_at), col(Attachment.id))))


def of_slip_returns(*, session: Session, case_ids: set[str]) -> list[Attachment]:
    """The files attached to slip returns (反馈单据) of these cases, oldest first."""
    query = select(Attachment).where(
        col(Attachment.complaint_id).in_(case_ids), col(Attachment.slip_id) != ""
    )
    return list(session.exec(query.order_by(col(Attachment.uploaded_at), col(Attachment.id))))


def get(*, session: Session, complaint_id: str, attachment_id: str) -> Attachment | None:
    row = session.get(Attachment, attachment_id)
    return row if row is not None and row.complaint_id == complaint_id else None


def name_of(row: Attachment, sealer: Sealer) -> str:
    return str(sealer.open_column(row, "sealed_name"))


def content(row: Attachment, *, blobs: BlobStore, sealer: Sealer) -> bytes:
    """The file's bytes, opened; ValueError when they do not open or match the recorded hash."""
    data = sealer.open_bytes(blobs.get(row.blob_key), bound_to=blob_binding(row.id))
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise ValueError(f"attachment {row.id}: content does not match its hash")
    return data


def rotate_files(
    engine: Engine, blobs: BlobStore, sealer: Sealer, *, batch_size: int = 500
) -> ColumnReport:
    """Seal again under the active key every file sealed under another (`xueji keys rotate`),
    in the same place: a blob store replaces an object whole, so a stopped run leaves each
    file either as it was or re-sealed, and a second run does what is left."""
    report = ColumnReport("case_attachment", "blob")
    after = ""
    while True:
        with Session(engine) as session:
            query = select(Attachment.id, Attachment.blob_key).where(col(Attachment.id) > after)
            rows = list(session.exec(query.order_by(col(Attachment.id)).limit(batch_size)))
        if not rows:
            return report
        for attachment_id, blob_key in rows:
            bound_to = blob_binding(attachment_id)
            try:
                sealed = blobs.get(blob_key)
                plain = sealer.open_bytes(sealed, bound_to=bound_to)
            except (ValueError, BlobMissing):  # a retired key, altered, moved or missing
                report.failed.append(attachment_id)
                continue
            if sealer.is_current(sealed):
                report.current += 1
                continue
            blobs.put(blob_key, sealer.seal_bytes(plain, bound_to=bound_to))
            report.resealed += 1
        after = rows[-1][0]
