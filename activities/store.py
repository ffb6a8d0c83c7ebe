"""Writing a case to the store: the one side effect every workflow step has."""

import asyncio
from datetime import UTC, datetime

from sqlalchemy import Engine
from temporalio import activity

from store.cases import apply_record
from store.db import session_scope
from store.sealing import Sealer
from workflows.messages import CaseRecord


class StoreActivities:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self._engine = engine
        self._sealer = sealer

    @activity.defn(name="record_case")
    async def record_case(self, record: CaseRecord) -> None:
        """Upsert the case, its clocks and slips; add timeline entries and notifications once."""
        await asyncio.to_thread(self._write, record)

    def _write(self, record: CaseRecord) -> None:
        with session_scope(self._engine) as session:
            apply_record(session, record, self._sealer, datetime.now(UTC))
