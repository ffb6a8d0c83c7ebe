"""Answers of /api/audit: the audit log's entries and the check of its hash chain."""

from datetime import datetime

from pydantic import BaseModel

from api.answers import Reply


class AuditEntry(Reply):
    seq: int
    at: datetime
    actor: str
    actor_unit: str
    actor_role: str
    action: str
    target: str
    result: str
    client: str
    prev_hash: str
    hash: str
    key_id: str | None


class AuditPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[AuditEntry]


class Verification(BaseModel):
    intact: bool
    count: int
    heads: int  # how many exported heads the chain was checked against
    first_broken_seq: int | None
    reason: str | None  # why that entry breaks the chain, in Chinese
