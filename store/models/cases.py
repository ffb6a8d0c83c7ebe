"""The cases (read model) and the intake tickets of registrations."""

from datetime import date, datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from store.models.columns import AwareDateTime, at_

# ---------------------------------------------------------------- the cases (read model)
# Written only by the workflows' `record_case` activity; every write is an idempotent upsert
# by natural key. Personal data sits only in the `sealed_*` columns, encrypted (store/sealing).


OPEN_CASE_COLUMNS = (
    "province",
    "handling_unit",
    "stage",
    "received_at",
    "overdue",
    "escalation_level",
)


class Case(SQLModel, table=True):
    """A complaint (投诉案件) as staff lists show it."""

    __tablename__ = "complaint_case"
    # The lists show the newest first (store/queries.py); the oversight figures count a
    # province's or a unit's cases received or ended in a period (store/stats.py).
    __table_args__ = (
        Index("ix_complaint_case_received_at", "received_at", "id"),
        Index("ix_complaint_case_province_received", "province", "received_at"),
        Index("ix_complaint_case_unit_received", "handling_unit", "received_at"),
        Index("ix_complaint_case_province_updated", "province", "updated_at"),
        Index("ix_complaint_case_unit_updated", "handling_unit", "updated_at"),
        # The open cases alone, with every column the backlog and the ranking's open counts
        # read (store/stats.py): the Ministry's backlog reads this index, not every case.
        Index(
            "ix_complaint_case_open",
            *OPEN_CASE_COLUMNS,
            postgresql_where=text("outcome = ''"),
            sqlite_where=text("outcome = ''"),
        ),
    )
    id: str = Field(primary_key=True, max_length=64)
    tracking_no: str = Field(unique=True, max_length=32)
    channel: str = Field(max_length=16)
    stage: str = Field(max_length=32, index=True)
    receiving_unit: str = Field(max_length=10)
    handling_unit: str = Field(max_length=10, index=True)
    province: str = Field(max_length=6, index=True)
    received_at: datetime = at_()
    updated_at: datetime = at_()
    due: datetime | None = at_(nullable=True)
    overdue: bool = False
    escalation_level: int = 0
    outcome: str = Field(default="", max_length=16)
    phone_masked: str = Field(default="", max_length=16)
    # Keyed hashes (store/lookup) for finding cases by number; the numbers are only sealed.
    complainant_phone_hash: str | None = Field(default=None, max_length=64, index=True)
    complainant_id_hash: str | None = Field(default=None, max_length=64, index=True)
    sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    assignee: str = Field(default="", max_length=32, index=True)  # 承办人 (a username)
    # The answer the public tracking page shows once the case is closed.
    sealed_public_reply: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )


class CaseSchool(SQLModel, table=True):
    """A school the complaint is about (from its registration), for finding cases by school."""

    __tablename__ = "case_school"
    case_id: str = Field(primary_key=True, max_length=64)
    school_code: str = Field(primary_key=True, max_length=10, index=True)


class CaseStudentName(SQLModel, table=True):
    """A student the complaint is about, as the keyed hash of the name (store/search_index),
    for finding cases by student; the name itself is only sealed."""

    __tablename__ = "case_student_name"
    case_id: str = Field(primary_key=True, max_length=64)
    name_hash: str = Field(primary_key=True, max_length=64, index=True)


class CaseTextToken(SQLModel, table=True):
    """A keyed hash of one token (a bigram of Chinese characters, a word or a run of digits)
    of the complaint's summary (store/search_index): the blind index of free-text search."""

    __tablename__ = "case_text_token"
    case_id: str = Field(primary_key=True, max_length=64)
    token_hash: str = Field(primary_key=True, max_length=32, index=True)


class CaseClock(SQLModel, table=True):
    """One working-day clock of a case: a step of the handling unit or a slip's addressee."""

    __tablename__ = "case_step"
    # A unit's inbox reads its open clocks (store/inbox.py); the oversight figures, the
    # clocks ended or begun in a period (store/stats.py).
    __table_args__ = (
        Index("ix_case_step_unit_status", "unit", "status"),
        Index("ix_case_step_finished_at", "finished_at"),
        Index("ix_case_step_started_at", "started_at"),
    )
    case_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=64)
    label: str
    unit: str = Field(max_length=10)
    started_at: datetime = at_()
    due: datetime = at_()
    remind_at: datetime = at_()
    estimated: bool
    status: str = Field(max_length=16)
    reminded: bool
    overdue: bool
    escalation_level: int
    next_escalation_at: datetime | None = at_(nullable=True)
    finished_at: datetime | None = at_(nullable=True)
    # A follow-up's answer or a review's decision (domain.records.Clock.result); "" otherwise.
    result: str = Field(default="", max_length=32)


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
    sent_at: datetime = at_()
    returned_at: datetime | None = at_(nullable=True)
    sealed_instructions: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    sealed_response: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    assignee: str = Field(default="", max_length=32, index=True)  # the addressee's 承办人
    returned_by: str = Field(default="", max_length=32)


class TimelineRow(SQLModel, table=True):
    """One entry of a case's timeline (办理记录): what happened (no personal data), who acted,
    and what they wrote (sealed)."""

    __tablename__ = "case_timeline"
    case_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=64)
    at: datetime = at_()
    kind: str = Field(max_length=32)
    unit: str = Field(default="", max_length=10)
    text: str
    actor: str = Field(default="", max_length=32)  # the staff member's username
    sealed_note: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class OutboxRow(SQLModel, table=True):
    """A notification waiting for delivery (the outbox is the default notifier)."""

    __tablename__ = "notification_outbox"
    key: str = Field(primary_key=True, max_length=160)
    case_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=32)
    recipient_unit: str = Field(default="", max_length=10)  # "" for the complainant
    # A person's own copy (the unit's person in charge), read in their inbox, not sent out.
    recipient_user: str = Field(default="", max_length=32, index=True)
    to_complainant: bool = False
    text: str  # "" for the complainant: that text is sealed
    sealed_text: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = at_()
    sent_at: datetime | None = at_(nullable=True)
    attempts: int = 0
    last_error: str = ""
    # A delivery run that is sending this row holds it until then (xueji notify send).
    claimed_until: datetime | None = at_(nullable=True)
    # How the last delivery attempt went out: "email" or "sms"; None until one is made.
    channel: str | None = Field(default=None, max_length=8)


class CaseAccess(SQLModel, table=True):
    """A unit that may see a case (DESIGN §7): the handling unit, its ancestors, and every
    bureau on the route of one of the case's slips (never a school, which sees only the slips
    addressed to it). Rewritten with each record of the case."""

    __tablename__ = "case_access"
    # A unit's case list, newest first, read straight off this index (store/queries.py): the
    # case's received time is copied here so that the page never depends on the planner
    # guessing how many of the unit's cases a walk of all cases by time would meet.
    __table_args__ = (Index("ix_case_access_unit_received", "unit_code", "received_at", "case_id"),)
    case_id: str = Field(primary_key=True, max_length=64)
    unit_code: str = Field(primary_key=True, max_length=10)
    received_at: datetime = at_()  # the case's, which never changes


class Intake(SQLModel, table=True):
    """How a complaint came in through the API: its public tracking number with the query code
    the complainant was given (hashed to check, sealed to repeat it on a retried request), and
    the `Idempotency-Key` of the request that registered it."""

    __tablename__ = "complaint_intake"
    __table_args__ = (UniqueConstraint("registered_by", "idempotency_key"),)
    complaint_id: str = Field(primary_key=True, max_length=64)
    tracking_no: str = Field(unique=True, max_length=32)
    query_code_hash: str = Field(max_length=80)  # store/intake.py: keyed, or plain before 0025
    sealed_query_code: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    registered_by: str = Field(max_length=64)
    receiving_unit: str = Field(max_length=10)
    idempotency_key: str | None = Field(default=None, max_length=128)
    request_hash: str = Field(max_length=64)  # the request body's, to refuse a reused key
    created_at: datetime = at_()


class TrackGuess(SQLModel, table=True):
    """Wrong query codes tried for a tracking number since `wrong_codes_since` (public
    tracking; store/intake.py), whether a complaint has the number or not: the two are
    counted and refused alike. Rows whose window is over are deleted on the way."""

    __tablename__ = "track_guess"
    tracking_no: str = Field(primary_key=True, max_length=40)
    wrong_codes: int = 0
    wrong_codes_since: datetime = Field(
        sa_column=Column(AwareDateTime(), nullable=False, index=True)
    )


# ---------------------------------------------------------------- oversight summaries
# Daily counts behind the oversight figures of the Ministry and the provinces (督办统计,
# store/summary.py), kept by `store.cases.apply_record` in the same transaction as the case
# rows they count, and rebuilt or checked against a recount by `xueji stats check`. `scope`
# is "*" for the whole country's rows, else the case's province.


class CaseCounts(SQLModel):
    """Cases received, closed, withdrawn, and rulings asked (level disputes)."""

    scope: str = Field(primary_key=True, max_length=6)
    # received, closed, withdrawn, dispute; review_asked and the other after-care events
    # (store/stats.py FOLLOW_UP_EVENTS, REVIEW_EVENTS)
    event: str = Field(primary_key=True, max_length=16)
    day: date = Field(primary_key=True)
    # The unit directly below the scope the handling unit belongs to (itself when it is the
    # scope's own unit, or unknown): the ranking's rows.
    branch: str = Field(primary_key=True, max_length=10)
    level: str = Field(primary_key=True, max_length=16)  # the handling unit's
    channel: str = Field(primary_key=True, max_length=16)
    referred: bool = Field(primary_key=True)
    late: bool = Field(primary_key=True)  # a clock of the case was late (ended cases)
    reworked: bool = Field(primary_key=True)  # sent back at least once (ended cases)
    cases: int = 0


class CaseDay(CaseCounts, table=True):
    """The counts by Beijing day."""

    __tablename__ = "stats_case_day"


class CaseMonth(CaseCounts, table=True):
    """The same counts by calendar month (`day` its first day): a year is twelve of them."""

    __tablename__ = "stats_case_month"


class StepDay(SQLModel, table=True):
    """Clocks met (steps done), by Beijing day finished, kind of step and day started."""

    __tablename__ = "stats_step_day"
    scope: str = Field(primary_key=True, max_length=6)
    day: date = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=16)
    started: date = Field(primary_key=True)
    late: bool = Field(primary_key=True)
    steps: int = 0
