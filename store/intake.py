"""Registering a complaint through the API, once: the tracking number (受理编号), the query
code (查询码) given to the complainant, and the idempotency of a retried request."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.keys import lookup_mac
from domain.ids import CROCKFORD, new_tracking_no
from domain.workdays import SHANGHAI
from store.models import AwareDateTime, Intake, TrackGuess
from store.sealing import Sealer

QUERY_CODE_DIGITS = 6
# Wrong query codes a tracking number takes before its look-up waits for the window to end:
# ten guesses of a million a day.
WRONG_CODES_ALLOWED = 10
WRONG_CODE_WINDOW = timedelta(hours=24)
# A stored query code hash: `KEYED_PREFIX` and the HMAC-SHA256 under the lookup key; written
# before the key (migration 0025), 64 hex digits of a plain SHA-256, still checked and
# replaced by the keyed hash at the first right code.
KEYED_PREFIX = "h1:"


class ReusedKey(ValueError):
    """The Idempotency-Key was used before for a different complaint."""


class GuessesUsedUp(Exception):
    """Too many wrong query codes for one tracking number; looking it up waits until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"wrong query codes used up until {until.isoformat()}")
        self.until = until


@dataclass(frozen=True)
class Ticket:
    complaint_id: str
    tracking_no: str
    query_code: str
    received_at: datetime
    repeated: bool  # True when a retried request found the complaint it registered before


def take_ticket(
    *,
    session: Session,
    sealer: Sealer,
    registered_by: str,
    receiving_unit: str,
    idempotency_key: str | None,
    request_hash: str,
    now: datetime,
    lookup_key: bytes,
) -> Ticket:
    """A new complaint id, tracking number and query code, committed; with an idempotency key
    already used by this user for the same request, the ticket it got then. The query code is
    kept sealed (to repeat it) and as a hash keyed by `lookup_key` (to check it).

    Raises ReusedKey when the key was used for another request.
    """
    if idempotency_key is not None:
        earlier = _by_key(session, registered_by, idempotency_key)
        if earlier is not None:
            return _repeat(earlier, sealer, request_hash)
    code = "".join(secrets.choice("0123456789") for _ in range(QUERY_CODE_DIGITS))
    random_part = "".join(secrets.choice(CROCKFORD) for _ in range(6))
    tracking_no = new_tracking_no(now.astimezone(SHANGHAI).date(), random_part)
    complaint_id = f"c-{uuid.uuid4().hex}"
    intake = Intake(
        complaint_id=complaint_id,
        tracking_no=tracking_no,
        query_code_hash=code_hash(tracking_no, code, lookup_key),
        sealed_query_code=b"",  # sealed below, bound to the row
        registered_by=registered_by,
        receiving_unit=receiving_unit,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=now,
    )
    sealer.seal_column(intake, "sealed_query_code", code)
    session.add(intake)
    try:
        session.commit()
    except IntegrityError:  # the same key raced in from a parallel retry
        session.rollback()
        earlier = _by_key(session, registered_by, idempotency_key or "")
        if earlier is None:
            raise
        return _repeat(earlier, sealer, request_hash)
    # From the values, not the row: reading the committed row would load it again.
    return Ticket(complaint_id, tracking_no, code, now, repeated=False)


def find_by_query_code(
    *, session: Session, tracking_no: str, code: str, now: datetime, lookup_key: bytes
) -> Intake | None:
    """The intake of the tracking number when `code` is its query code, else None; a wrong
    code is counted (and committed) against the number, whether a complaint has it or not.

    Raises GuessesUsedUp once the number has had WRONG_CODES_ALLOWED wrong codes within
    WRONG_CODE_WINDOW of the first of them: until that window ends the right code is refused
    too, so guesses spread over many addresses and API processes never add up to the code
    (the per-address rate limit counts in each process alone). A number no complaint has is
    counted and refused alike, so neither answer tells whether it exists.
    """
    guesses = session.get(TrackGuess, tracking_no)
    if guesses is not None and guesses.wrong_codes >= WRONG_CODES_ALLOWED:
        ends = guesses.wrong_codes_since + WRONG_CODE_WINDOW
        if now < ends:
            raise GuessesUsedUp(ends)
    intake = session.exec(select(Intake).where(Intake.tracking_no == tracking_no)).first()
    stored = intake.query_code_hash if intake is not None else ""
    if _code_matches(stored, tracking_no, code, lookup_key):
        assert intake is not None
        if not stored.startswith(KEYED_PREFIX):  # written before the key: re-keyed now
            intake.query_code_hash = code_hash(tracking_no, code, lookup_key)
            session.add(intake)
            session.commit()
        return intake
    _count_wrong_code(session, tracking_no, now)
    return None


def _count_wrong_code(session: Session, tracking_no: str, now: datetime) -> None:
    """One more wrong code against the number, in SQL so that concurrent guesses cannot
    overwrite each other's count; counts whose window is over are dropped on the way."""
    session.execute(
        delete(TrackGuess).where(col(TrackGuess.wrong_codes_since) <= now - WRONG_CODE_WINDOW)
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(  # a concurrent guess may have made the row first: then count in it
        insert(TrackGuess)
        .values(tracking_no=tracking_no, wrong_codes=0, wrong_codes_since=now)
        .on_conflict_do_nothing()
    )
    window_over = col(TrackGuess.wrong_codes_since) <= now - WRONG_CODE_WINDOW
    session.execute(
        update(TrackGuess)
        .where(col(TrackGuess.tracking_no) == tracking_no)
        .values(
            wrong_codes=case((window_over, 1), else_=TrackGuess.wrong_codes + 1),
            wrong_codes_since=case(
                (window_over, literal(now, AwareDateTime())), else_=TrackGuess.wrong_codes_since
            ),
        )
    )
    session.commit()


def has_ticket(*, session: Session, registered_by: str, key: str) -> bool:
    """Whether this user registered a complaint with this idempotency key already."""
    return _by_key(session, registered_by, key) is not None


def _by_key(session: Session, registered_by: str, key: str) -> Intake | None:
    query = select(Intake).where(
        Intake.registered_by == registered_by, Intake.idempotency_key == key
    )
    return session.exec(query).first()


def _repeat(earlier: Intake, sealer: Sealer, request_hash: str) -> Ticket:
    if earlier.request_hash != request_hash:
        raise ReusedKey("Idempotency-Key 已用于另一份投诉，请换一个新的键")
    return Ticket(
        earlier.complaint_id,
        earlier.tracking_no,
        str(sealer.open_column(earlier, "sealed_query_code")),
        earlier.created_at,
        repeated=True,
    )


def code_hash(tracking_no: str, code: str, lookup_key: bytes) -> str:
    """What the store keeps of a query code: an HMAC under the lookup key, so that a copy of
    the database alone cannot try the million codes against it."""
    message = f"query-code:{tracking_no}:{code}".encode()
    return KEYED_PREFIX + lookup_mac(lookup_key, message)  # SHA-256 or SM3, as the key says


def legacy_code_hash(tracking_no: str, code: str) -> str:
    """The unkeyed hash of the codes stored before migration 0025."""
    return hashlib.sha256(f"{tracking_no}:{code}".encode()).hexdigest()


def _code_matches(stored: str, tracking_no: str, code: str, lookup_key: bytes) -> bool:
    """Whether `code` is the one `stored` was made of; the same work for a number that has no
    complaint (`stored` empty), so the time taken tells nothing either."""
    if stored.startswith(KEYED_PREFIX) or not stored:
        expected = code_hash(tracking_no, code, lookup_key)
    else:
        expected = legacy_code_hash(tracking_no, code)
    return hmac.compare_digest(stored or "-", expected) and bool(stored)
