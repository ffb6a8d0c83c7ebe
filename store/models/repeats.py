"""Repeat complaints (重复件) joined to a case, and links between cases (关联案件)."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.columns import AwareDateTime, at_


class CaseRepeat(SQLModel, table=True):
    """A complaint registered as a repeat (重复件) of an existing case: it starts no workflow
    and gets no tracking number of its own; it joins the case's record (a timeline entry) and
    the complainant is given the case's tracking number. What they said is only sealed."""

    __tablename__ = "case_repeat"
    __table_args__ = (UniqueConstraint("registered_by", "idempotency_key"),)
    id: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=16)
    receiving_unit: str = Field(max_length=10, index=True)
    registered_by: str = Field(max_length=64)
    # The oversight figures count a scope's repeats joined in a period (store/stats.py).
    received_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False, index=True))
    idempotency_key: str | None = Field(default=None, max_length=128)
    request_hash: str = Field(max_length=64)  # the request body's, to refuse a reused key
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the registration


class CaseLink(SQLModel, table=True):
    """Two cases staff linked as about the same matter, kept once each way (the case page of
    either lists the other)."""

    __tablename__ = "case_link"
    case_id: str = Field(primary_key=True, max_length=64)
    linked_id: str = Field(primary_key=True, max_length=64, index=True)
    unit: str = Field(max_length=10)  # the unit of the staff member who linked them
    linked_by: str = Field(max_length=64)
    linked_at: datetime = at_()
