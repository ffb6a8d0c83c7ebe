"""SQLModel tables of the store. Every change here comes with an Alembic migration."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Dialect, LargeBinary, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


class AwareDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime on every database: stored in UTC, read back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store keeps aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def _at(nullable: bool = False) -> Any:
    return Field(sa_column=Column(AwareDateTime(), nullable=nullable))


class UnitBase(SQLModel):
    name: str
    level: str = Field(max_length=16)
    parent_code: str | None = Field(default=None, max_length=6, index=True)
    phone: str = ""
    email: str = ""


class Unit(UnitBase, table=True):
    """An education bureau (教育行政部门) of the organisation tree."""

    __tablename__ = "org_unit"
    code: str = Field(primary_key=True, max_length=6)
    # When an administrator last saved (or re-confirmed) the public phone and e-mail.
    contact_confirmed_at: datetime | None = _at(nullable=True)


class SchoolBase(SQLModel):
    name: str
    unit_code: str = Field(max_length=6, index=True)


class School(SchoolBase, table=True):
    """A school (学校) with its supervising unit (直接教育行政主管部门)."""

    __tablename__ = "org_school"
    code: str = Field(primary_key=True, max_length=10)


class OrgImport(SQLModel, table=True):
    """One replacement of the stored tree (组织机构树导入): the processes that keep the tree in
    memory reload it when a newer one appears, so even a school that was only renamed is seen."""

    __tablename__ = "org_import"
    id: int | None = Field(default=None, primary_key=True)
    imported_at: datetime | None = _at(nullable=True)  # None: the demo tree of `make run`
    units: int
    schools: int


# ---------------------------------------------------------------- the cases (read model)
# Written only by the workflows' `record_case` activity; every write is an idempotent upsert
# by natural key. Personal data sits only in the `sealed_*` columns, encrypted (store/sealing).


class Case(SQLModel, table=True):
    """A complaint (投诉案件) as staff lists show it."""

    __tablename__ = "complaint_case"
    id: str = Field(primary_key=True, max_length=64)
    tracking_no: str = Field(unique=True, max_length=32)
    channel: str = Field(max_length=16)
    stage: str = Field(max_length=32, index=True)
    receiving_unit: str = Field(max_length=10)
    handling_unit: str = Field(max_length=10, index=True)
    province: str = Field(max_length=6, index=True)
    received_at: datetime = _at()
    updated_at: datetime = _at()
    due: datetime | None = _at(nullable=True)
    overdue: bool = False
    escalation_level: int = 0
    outcome: str = Field(default="", max_length=16)
    phone_masked: str = Field(default="", max_length=16)
    # Keyed hashes (store/lookup) for finding cases by number; the numbers are only sealed.
    complainant_phone_hash: str | None = Field(default=None, max_length=64, index=True)
    complainant_id_hash: str | None = Field(default=None, max_length=64, index=True)
    sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class CaseStep(SQLModel, table=True):
    """One working-day clock of a case: a step of the handling unit or a slip's addressee."""

    __tablename__ = "case_step"
    case_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=64)
    label: str
    unit: str = Field(max_length=10)
    started_at: datetime = _at()
    due: datetime = _at()
    remind_at: datetime = _at()
    estimated: bool
    status: str = Field(max_length=16)
    reminded: bool
    overdue: bool
    escalation_level: int
    next_escalation_at: datetime | None = _at(nullable=True)
    finished_at: datetime | None = _at(nullable=True)


class CaseSlip(SQLModel, table=True):
    """A verification slip (核查单) or supervision slip (督办单)."""

    __tablename__ = "case_slip"
    case_id: str = Field(primary_key=True, max_length=64)
    slip_id: str = Field(primary_key=True, max_length=16)
    kind: str = Field(max_length=16)
    round: int
    issuer: str = Field(max_length=10)
    addressee: str = Field(max_length=10, index=True)
    route: str  # JSON list of codes
    hops: str  # JSON list of {from_unit, to_unit, at}
    status: str = Field(max_length=16)
    sent_at: datetime = _at()
    returned_at: datetime | None = _at(nullable=True)
    sealed_instructions: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    sealed_response: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )


class TimelineRow(SQLModel, table=True):
    """One entry of a case's timeline (办理记录); never personal data."""

    __tablename__ = "case_timeline"
    case_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=64)
    at: datetime = _at()
    kind: str = Field(max_length=32)
    unit: str = Field(default="", max_length=10)
    text: str


class OutboxRow(SQLModel, table=True):
    """A notification waiting for delivery (the outbox is the default notifier)."""

    __tablename__ = "notification_outbox"
    key: str = Field(primary_key=True, max_length=160)
    case_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=32)
    recipient_unit: str = Field(default="", max_length=10)  # "" for the complainant
    to_complainant: bool = False
    text: str  # "" for the complainant: that text is sealed
    sealed_text: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = _at()
    sent_at: datetime | None = _at(nullable=True)
    attempts: int = 0
    last_error: str = ""
    # A delivery run that is sending this row holds it until then (xueji notify send).
    claimed_until: datetime | None = _at(nullable=True)


class CaseAccess(SQLModel, table=True):
    """A unit that may see a case (DESIGN §7): the handling unit, its ancestors, and every unit
    on the route of one of the case's slips. Rewritten with each record of the case."""

    __tablename__ = "case_access"
    case_id: str = Field(primary_key=True, max_length=64)
    unit_code: str = Field(primary_key=True, max_length=10, index=True)


# ---------------------------------------------------------------- the audit log
# Append-only and hash-chained (store/audit.py): each row's hash covers its fields and the
# hash of the row before, so an edited, inserted or deleted row breaks the chain.


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
    hash: str = Field(max_length=64)


class AuditAnchor(SQLModel, table=True):
    """What a purge of old audit entries left behind: the last purged row's seq and hash."""

    __tablename__ = "audit_anchor"
    through_seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(max_length=64)
    cutoff: datetime = _at()
    purged_at: datetime = _at()


class Intake(SQLModel, table=True):
    """How a complaint came in through the API: its public tracking number with the query code
    the complainant was given (hashed to check, sealed to repeat it on a retried request), and
    the `Idempotency-Key` of the request that registered it."""

    __tablename__ = "complaint_intake"
    __table_args__ = (UniqueConstraint("registered_by", "idempotency_key"),)
    complaint_id: str = Field(primary_key=True, max_length=64)
    tracking_no: str = Field(unique=True, max_length=32)
    query_code_hash: str = Field(max_length=64)
    sealed_query_code: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    registered_by: str = Field(max_length=64)
    receiving_unit: str = Field(max_length=10)
    idempotency_key: str | None = Field(default=None, max_length=128)
    request_hash: str = Field(max_length=64)  # the request body's, to refuse a reused key
    created_at: datetime = _at()
    # Wrong query codes tried since `wrong_codes_since` (public tracking; store/intake.py).
    wrong_codes: int = 0
    wrong_codes_since: datetime | None = _at(nullable=True)


# ---------------------------------------------------------------- staff accounts (DESIGN §7)
# Passwords only as argon2 hashes, session tokens only as SHA-256 hashes, the TOTP secret
# sealed with the store keys.


class StaffUser(SQLModel, table=True):
    """A staff account (工作人员账号) of one unit."""

    __tablename__ = "staff_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=32)
    display_name: str = Field(default="", max_length=64)
    unit_code: str = Field(foreign_key="org_unit.code", max_length=6, index=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    password_changed_at: datetime = _at()
    must_change_password: bool = False  # set when an administrator chose the password
    failed_logins: int = 0
    locked_until: datetime | None = _at(nullable=True)
    totp_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    totp_enrolled: bool = False
    totp_last_step: int = 0  # the 30 s step of the last accepted code: a code works once
    active: bool = True
    created_at: datetime = _at()


class PasswordHistory(SQLModel, table=True):
    """A password a user has had, current one included (for the no-reuse rule)."""

    __tablename__ = "staff_password_history"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    hash: str = Field(max_length=255)
    created_at: datetime = _at()


class StaffSession(SQLModel, table=True):
    """A server-side login session; the bearer token itself is never stored."""

    __tablename__ = "staff_session"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    created_at: datetime = _at()
    last_seen_at: datetime = _at()
    revoked_at: datetime | None = _at(nullable=True)
    client_address: str = Field(default="", max_length=64)
    must_change_password: bool = False
    must_enrol_totp: bool = False


class PasswordPolicyBase(SQLModel):
    min_length: int = 10
    min_kinds: int = 3
    history: int = 5
    expiry_days: int = 90
    max_failures: int = 5
    lock_minutes: int = 15
    idle_minutes: int = 30


class PasswordPolicy(PasswordPolicyBase, table=True):
    """The password and session policy (口令策略): a single row, id 1."""

    __tablename__ = "password_policy"
    id: int = Field(default=1, primary_key=True)


class Faq(SQLModel, table=True):
    """A question and its answer (常见问题解答) that a unit publishes for the public."""

    __tablename__ = "faq"
    id: int | None = Field(default=None, primary_key=True)
    unit_code: str = Field(foreign_key="org_unit.code", max_length=6, index=True)
    question: str = Field(max_length=200)
    answer: str = Field(max_length=4000)
    created_by: str = Field(max_length=32)
    created_at: datetime = _at()
    updated_at: datetime = _at()
    published: bool = False


# ---------------------------------------------------------------- personnel-table campaigns
# Written only by the `record_campaign` activity (idempotent upserts). The people a unit
# reports (names, phones) sit only in `sealed_report`, encrypted (store/sealing).


class Campaign(SQLModel, table=True):
    """A collection of the personnel table (附件3) from a set of units."""

    __tablename__ = "campaign"
    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=100)
    opener_unit: str = Field(max_length=6, index=True)
    status: str = Field(max_length=16)  # open | overdue | closed
    opened_at: datetime = _at()
    due: datetime = _at()
    remind_at: datetime = _at()
    remind_estimated: bool = False  # the reminder day lies in an estimated calendar year
    reminded_at: datetime | None = _at(nullable=True)
    alerted_at: datetime | None = _at(nullable=True)
    closed_at: datetime | None = _at(nullable=True)


class CampaignUnit(SQLModel, table=True):
    """A unit that must report to a campaign, and what it reported."""

    __tablename__ = "campaign_unit"
    campaign_id: str = Field(primary_key=True, foreign_key="campaign.id", max_length=64)
    unit_code: str = Field(primary_key=True, max_length=6, index=True)
    position: int  # the order the opener listed the units in
    submitted_at: datetime | None = _at(nullable=True)
    late: bool = False
    corrections: int = 0
    sealed_report: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


# ---------------------------------------------------------------- working-day calendar years


class CalendarYear(SQLModel, table=True):
    """One year's official holiday arrangement as an administrator loaded it (法定节假日与调休):
    the document of `xueji calendar load`. Every worker and API process reads it from here."""

    __tablename__ = "calendar_year"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    document: str  # JSON: year, source, holidays, workdays (domain.workdays.year_document)
    loaded_at: datetime = _at()
    loaded_by: str = Field(max_length=64)
