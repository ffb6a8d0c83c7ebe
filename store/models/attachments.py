"""Evidence files (附件): what the store knows of each; the file itself, sealed, is in the blob
store (store/blobs.py) under `blob_key`, never in the database or the workflow history."""

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from store.models.columns import at_

# What a file is attached to: the case itself, a slip's return (slip_id set), the handling
# opinion or the informing of the complainant.
PURPOSES = ("case", "slip_return", "opinion", "informing")


class Attachment(SQLModel, table=True):
    """One uploaded file of a case: its name sealed (it may name a child), its size, the type
    found in its content and its SHA-256."""

    __tablename__ = "case_attachment"
    __table_args__ = (Index("ix_case_attachment_case", "complaint_id", "uploaded_at"),)
    id: str = Field(primary_key=True, max_length=32)
    complaint_id: str = Field(max_length=64)
    purpose: str = Field(max_length=16)
    slip_id: str = Field(default="", max_length=16)  # a slip return's slip; "" otherwise
    unit_code: str = Field(max_length=10)  # the uploader's unit
    uploaded_by: str = Field(max_length=32)
    uploaded_at: datetime = at_()
    size: int
    content_type: str = Field(max_length=128)  # as sniffed from the content, never the name's
    sha256: str = Field(max_length=64)
    blob_key: str = Field(max_length=128)
    sealed_name: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
