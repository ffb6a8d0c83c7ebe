"""The audit log."""

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from store.models.columns import AwareDateTime, at_

# ---------------------------------------------------------------- the audit log
# Append-only and chained (store/audit.py): each row's hash is an HMAC under the audit key of
# its fields and the hash of the row before, so an edited, inserted or deleted row breaks the
# chain, and nobody without the key can compute a new one. Rows written before the key
# (key_id NULL) carry a plain SHA-256 and may only come before every keyed row.


class AuditRecord(SQLModel, table=True):
    """One entry of the audit log (审计日志): who did what to what, and how it ended."""

    __tablename__ = "audit_log"
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False, index=True))
    actor: str  # username; "" when unknown (a failed login names the attempted one in target)
    actor_unit: str = Field(max_length=10)
    actor_role: str = Field(max_length=16)
    action: str = Field(max_length=64)  # "auth.login", "complaint.register"
    target: str  # "complaint:ID", "user:NAME"
    result: str  # "ok", or "refused:reason" / "failed:reason"
    client: str = Field(max_length=64)  # the client's address
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)  # HMAC-SHA256 under key_id; SHA-256 when key_id is None
    key_id: str | None = Field(default=None, max_length=64)


class AuditAnchor(SQLModel, table=True):
    """What a purge of old audit entries left behind: the last purged row's seq and hash."""

    __tablename__ = "audit_anchor"
    through_seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(max_length=64)
    cutoff: datetime = at_()
    purged_at: datetime = at_()
    # Set when the last purged row was keyed: an HMAC over this anchor, so that nobody without
    # the key can pose as a purge to cut off rows.
    key_id: str | None = Field(default=None, max_length=64)
    mac: str | None = Field(default=None, max_length=64)
