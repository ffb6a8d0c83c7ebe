"""Registering a complaint through the API, once: the tracking number (受理编号), the query
code (查询码) given to the complainant, and the idempotency of a retried request."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.ids import CROCKFORD, new_tracking_no
from domain.workdays import SHANGHAI
from store.models import AwareDateTime, Intake
from store.sealing import Sealer

QUERY_CODE_DIGITS = 6
# Wrong query codes a tracking number takes before its look-up waits for the window to end:
# ten guesses of a million a day.
WRONG_CODES_ALLOWED = 10
WRONG_CODE_WINDOW = timedelta(hours=24)


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
) -> Ticket:
    """A new complaint id, tracking number and query code, committed; with an idempotency key
    already used by this user for the same request, the ticket it got then.

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
        query_code_hash=_code_hash(tracking_no, code),
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
    *, session: Session, tracking_no: str, code: str, now: datetime
) -> Intake | None:
    """The intake of the tracking number when `code` is its query code, else None; a wrong
    code is counted (and committed) against the number.

    Raises GuessesUsedUp once the number has had WRONG_CODES_ALLOWED wrong codes within
    WRONG_CODE_WINDOW of the first of them: until that window ends the right code is refused
    too, so guesses spread over many addresses and API processes never add up to the code
    (the per-address rate limit counts in each process alone).
    """
    intake = session.exec(select(Intake).where(Intake.tracking_no == tracking_no)).first()
    if intake is None:
        return None
    since = intake.wrong_codes_since
    ends = None if since is None else since + WRONG_CODE_WINDOW
    if ends is not None and now < ends and intake.wrong_codes >= WRONG_CODES_ALLOWED:
        raise GuessesUsedUp(ends)
    if hmac.compare_digest(intake.query_code_hash, _code_hash(tracking_no, code)):
        return intake
    # Counted in SQL, so that concurrent guesses cannot overwrite each other's count.
    window_over = or_(
        col(Intake.wrong_codes_since).is_(None),
        col(Intake.wrong_codes_since) <= now - WRONG_CODE_WINDOW,
    )
    session.exec(
        update(Intake)  # type: ignore[call-overload]
        .where(col(Intake.complaint_id) == intake.complaint_id)
        .values(
            wrong_codes=case((window_over, 1), else_=Intake.wrong_codes + 1),
            wrong_codes_since=case(
                (window_over, literal(now, AwareDateTime())), else_=Intake.wrong_codes_since
            ),
        )
    )
    session.commit()
    return None


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


def _code_hash(tracking_no: str, code: str) -> str:
    return hashlib.sha256(f"{tracking_no}:{code}".encode()).hexdigest()
