"""Tickets for complaints registered through the API, on both stores: one per request, the same
one for a retried request, and the query code checked without being stored in clear."""

from datetime import datetime

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from domain.ids import normalize_tracking_no
from domain.workdays import SHANGHAI
from store.intake import ReusedKey, Ticket, find_by_query_code, take_ticket
from store.sealing import Sealer
from xueji.codec import DEV_KEY_SPEC

SEALER = Sealer(DEV_KEY_SPEC)
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
        found = find_by_query_code(session=session, tracking_no=number, code=code)
        assert found is not None and found.complaint_id == issued.complaint_id
        assert find_by_query_code(session=session, tracking_no=number, code=wrong) is None
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM complaint_intake")).one()
    cells = [bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row]
    assert not any(code.encode() == cell for cell in cells)
    assert not any(code.encode() in cell for cell in cells if cell != number.encode())
