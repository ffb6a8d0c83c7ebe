"""Cases written straight into the store, as the worker's `record_case` activity writes them,
for tests of what the store and the API read back (no workflow needed)."""

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from core.keys import DEV_KEY_SPEC, DEV_LOOKUP_KEY, parse_lookup_key
from domain.process import Channel, Stage
from domain.records import CaseRecord, CaseSnapshot
from domain.workdays import SHANGHAI
from store.cases import apply_record
from store.db import session_scope
from store.intake import Ticket, take_ticket
from store.sealing import Sealer

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)
SEALER = Sealer(DEV_KEY_SPEC)
LOOKUP_KEY = parse_lookup_key(DEV_LOOKUP_KEY)


def snapshot(handling: str, **changes: object) -> CaseSnapshot:
    """A case of Hebei handled by `handling`, received there at T0 by web, waiting for its
    verification slips; `changes` replace any field."""
    values: dict[str, object] = {
        "tracking_no": f"T{handling}{len(changes)}",
        "channel": Channel.WEB,
        "stage": Stage.VERIFY_ISSUE,
        "receiving_unit": handling,
        "handling_unit": handling,
        "province": "130000",
        "received_at": T0,
        "updated_at": T0,
        "due": None,
        "overdue": False,
        "escalation_level": 0,
    }
    values.update(changes)
    return CaseSnapshot(**values)  # type: ignore[arg-type]


def write(engine: Engine, record: CaseRecord) -> None:
    """Apply the record as the worker would (at T0, with the development keys)."""
    with session_scope(engine) as session:
        apply_record(session, record, SEALER, T0, lookup_key=LOOKUP_KEY)


def registered_only(
    engine: Engine, sealer: Sealer, *, by: str, unit: str, now: datetime, request: str = "0"
) -> Ticket:
    """A complaint registered by `by` of `unit` whose case no worker has written yet: its
    ticket alone, as while the workers are down."""
    with Session(engine) as session:
        return take_ticket(
            session=session,
            sealer=sealer,
            registered_by=by,
            receiving_unit=unit,
            idempotency_key=None,
            request_hash=request * 64,
            now=now,
            lookup_key=LOOKUP_KEY,
        )
