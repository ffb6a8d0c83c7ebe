"""Writing a case to the store: the one side effect every workflow step has."""

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.records import CampaignRecord, CaseRecord
from store.campaigns import apply_campaign_record
from store.cases import InvalidCaseRecord, apply_record
from store.db import session_scope
from store.sealing import Sealer
from workflows.activity_interfaces import StoreActivityInterface

log = logging.getLogger(__name__)


# At most this many records share a transaction: the writer's turn is held for them all, and
# the API's writes wait for it.
MAX_BATCH = 16


@dataclass(eq=False)
class _Pending:
    """A record waiting for its transaction, and how its writing ended."""

    record: CaseRecord
    woken: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to write the next transaction, not because it was written
    error: Exception | None = None


class _GroupCommit:
    """Records that arrive while a transaction is being written wait, and the next transaction
    writes them together: one commit (and one fsync) for up to MAX_BATCH concurrent records
    instead of one each. The thread whose record comes first when no transaction is running
    writes it, with those waiting, then hands the turn to the first one still waiting. If a
    transaction fails, each of its records is written again alone, so a record that cannot be
    written fails alone and the others are kept (apply_record is idempotent)."""

    def __init__(self, engine: Engine, write: Callable[[Session, CaseRecord], None]) -> None:
        self._engine = engine
        self._write = write
        self._lock = threading.Lock()
        self._waiting: list[_Pending] = []
        self._busy = False

    def write(self, record: CaseRecord) -> None:
        """Write `record` in a transaction, maybe shared; raises what writing it raised."""
        me = _Pending(record)
        with self._lock:
            self._waiting.append(me)
            lead = not self._busy
            self._busy = True
        if not lead:
            me.woken.wait()
        if lead or me.lead:
            self._write_batch(me)
        if me.error is not None:
            raise me.error

    def _write_batch(self, me: _Pending) -> None:
        with self._lock:
            others = [p for p in self._waiting if p is not me][: MAX_BATCH - 1]
            batch = [me, *others]
            self._waiting = [p for p in self._waiting if p not in batch]
        written = False
        try:
            self._commit(batch)
            written = True
        finally:
            if not written:  # interrupted: none of them may think it was written
                for pending in others:
                    pending.error = RuntimeError("写入未完成")
            with self._lock:
                if self._waiting:
                    self._waiting[0].lead = True
                    self._waiting[0].woken.set()
                else:
                    self._busy = False
            for pending in others:
                pending.woken.set()

    def _commit(self, batch: list[_Pending]) -> None:
        # In the order of their cases: concurrent transactions lock cases in the same order
        # (no deadlock between two workers on PostgreSQL). No two records of one workflow
        # are ever in one batch (it waits for each), so no record overtakes one it follows.
        batch = sorted(batch, key=lambda pending: pending.record.complaint_id)
        try:
            with session_scope(self._engine) as session:
                for pending in batch:
                    self._write(session, pending.record)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for pending in batch:  # one of them failed: find which, keep the others
                self._commit([pending])


class StoreActivities(StoreActivityInterface):
    def __init__(self, engine: Engine, sealer: Sealer, lookup_key: bytes) -> None:
        self._engine = engine
        self._sealer = sealer
        self._lookup_key = lookup_key
        self._group = _GroupCommit(engine, self._apply)

    @activity.defn(name="record_case")
    async def record_case(self, record: CaseRecord) -> None:
        """Upsert the case, its clocks and slips; add timeline entries and notifications once.

        A failure names the case and the kind of error only: database errors quote the
        statement's parameters, which may be personal data.
        """
        try:
            await asyncio.to_thread(self._write, record)
        except InvalidCaseRecord as exc:
            raise ApplicationError(str(exc), type="InvalidRecord", non_retryable=True) from None
        except Exception as exc:
            kind = type(exc).__name__
            log.error("record_case %s failed: %s", record.complaint_id, kind)
            raise ApplicationError(
                f"案件 {record.complaint_id} 写入数据库失败（{kind}），将自动重试", type=kind
            ) from None

    def _write(self, record: CaseRecord) -> None:
        self._group.write(record)

    def _apply(self, session: Session, record: CaseRecord) -> None:
        now = datetime.now(UTC)
        apply_record(session, record, self._sealer, now, lookup_key=self._lookup_key)

    @activity.defn(name="record_campaign")
    async def record_campaign(self, record: CampaignRecord) -> None:
        """Upsert the campaign and its units; add notifications once; on closing, publish the
        units' public phones and e-mails in the directory."""
        try:
            await asyncio.to_thread(self._write_campaign, record)
        except Exception as exc:
            kind = type(exc).__name__
            log.error("record_campaign %s failed: %s", record.state.campaign_id, kind)
            raise ApplicationError(
                f"报送征集 {record.state.campaign_id} 写入数据库失败（{kind}），将自动重试",
                type=kind,
            ) from None

    def _write_campaign(self, record: CampaignRecord) -> None:
        with session_scope(self._engine) as session:
            apply_campaign_record(session, record, self._sealer, datetime.now(UTC))
