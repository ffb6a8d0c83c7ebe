"""Tickets for complaints registered through the API, on both stores: one per request, the same
one for a retried request, and the query code checked without being stored in clear."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from core.keys import DEV_KEY_SPEC, DEV_LOOKUP_KEY, parse_lookup_key
from domain.ids import normalize_tracking_no
from domain.workdays import SHANGHAI
from store.intake import (
    WRONG_CODES_ALLOWED,
    GuessesUsedUp,
    ReusedKey,
    Ticket,
    find_by_query_code,
    take_ticket,
)
from store.sealing import Sealer

SEALER = Sealer(DEV_KEY_SPEC)
KEY = parse_lookup_key(DEV_LOOKUP_KEY)
NOW = datetime(2030, 3, 4, 9, 30, tzinfo=SHANGHAI)


def ticket(engine: Engine, key: str | None, body: str = "body-1", user: str = "clerk") -> Ticket:
    with Session(engine) as session:
        return take_ticket(
            session=session,
            sealer=SEALER,
            registered_by=user,
            receiving_unit="130000",
            idempotency_key=key,
            request_hash=body,
            now=NOW,
            lookup_key=KEY,
        )


def test_each_request_gets_its_own_tracking_number_of_the_day(engine: Engine) -> None:
    first, second = ticket(engine, None), ticket(engine, None)
    assert first.tracking_no != second.tracking_no
    assert first.complaint_id != second.complaint_id
    number = first.tracking_no
    assert normalize_tracking_no(number) == number and number.startswith("20300304")


def test_a_retry_with_the_same_key_gets_the_same_ticket(engine: Engine) -> None:
    first = ticket(engine, "key-1")
    again = ticket(engine, "key-1")
    assert (again.complaint_id, again.query_code, again.repeated) == (
        first.complaint_id,
        first.query_code,
        True,
    )
    other_user = ticket(engine, "key-1", user="another")
    assert other_user.complaint_id != first.complaint_id
    with pytest.raises(ReusedKey):
        ticket(engine, "key-1", body="body-2")


def test_the_query_code_opens_its_own_case_only(engine: Engine) -> None:
    issued = ticket(engine, None)
    code, number = issued.query_code, issued.tracking_no
    wrong = "000000" if code != "000000" else "111111"
    with Session(engine) as session:
        found = find_by_query_code(
            session=session, tracking_no=number, code=code, now=NOW, lookup_key=KEY
        )
        assert found is not None and found.complaint_id == issued.complaint_id
        assert look(session, number, wrong) is None
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM complaint_intake")).one()
    cells = [bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row]
    assert not any(code.encode() == cell for cell in cells)
    assert not any(code.encode() in cell for cell in cells if cell != number.encode())


def look(session: Session, number: str, code: str) -> object:
    return find_by_query_code(
        session=session, tracking_no=number, code=code, now=NOW, lookup_key=KEY
    )


def test_wrong_codes_for_one_number_are_used_up_whoever_sends_them(engine: Engine) -> None:
    issued, other = ticket(engine, None), ticket(engine, None)
    number, code = issued.tracking_no, issued.query_code
    wrong = "000000" if code != "000000" else "111111"

    def look_up(tracking_no: str, query_code: str, at: datetime) -> str | None:
        with Session(engine) as session:  # a new session each time, as each request has
            found = find_by_query_code(
                session=session, tracking_no=tracking_no, code=query_code, now=at, lookup_key=KEY
            )
        return None if found is None else found.complaint_id

    first_wrong = NOW + timedelta(minutes=5)
    assert look_up(number, code, NOW) == issued.complaint_id
    for guess in range(WRONG_CODES_ALLOWED):
        assert look_up(number, wrong, first_wrong + timedelta(minutes=guess)) is None
    with pytest.raises(GuessesUsedUp) as used_up:  # the right code waits too
        look_up(number, code, first_wrong + timedelta(hours=23))
    assert used_up.value.until == datetime(2030, 3, 5, 9, 35, tzinfo=SHANGHAI)
    assert look_up(other.tracking_no, other.query_code, NOW) == other.complaint_id

    # The window over, the number opens again and counts afresh from the next wrong code.
    assert look_up(number, code, used_up.value.until) == issued.complaint_id
    later = used_up.value.until + timedelta(hours=1)
    for guess in range(WRONG_CODES_ALLOWED - 1):
        assert look_up(number, wrong, later + timedelta(minutes=guess)) is None
    assert look_up(number, code, later + timedelta(hours=1)) == issued.complaint_id
