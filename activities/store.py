"""Writing a case to the store: the one side effect every workflow step has."""

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.records import CampaignRecord, CaseRecord
from store.campaigns import apply_campaign_record
from store.cases import InvalidCaseRecord, apply_record
from store.db import session_scope
from store.sealing import Sealer
from workflows.activity_interfaces import StoreActivityInterface

log = logging.getLogger(__name__)


class StoreActivities(StoreActivityInterface):
    def __init__(self, engine: Engine, sealer: Sealer, lookup_key: bytes) -> None:
        self._engine = engine
        self._sealer = sealer
        self._lookup_key = lookup_key

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
        with session_scope(self._engine) as session:
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
