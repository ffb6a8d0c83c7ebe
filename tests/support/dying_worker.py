"""`python -m tests.support.dying_worker`: the real worker, except that it dies (SIGKILL) right
after the store records a case reaching the step 下发核查单 (or the step named by
XUEJI_TEST_DIE_AT, a Stage value: `verification` once the slips are issued), before the
workflow task that made the record completes. The store then shows a step the workflow's
history does not hold yet, the window a crashing worker leaves (tests/e2e/test_store_ahead.py)."""

import os
import signal

from temporalio import activity

import xueji.worker
from activities.store import StoreActivities
from domain.process import Stage
from domain.records import CaseRecord

DIE_AT = Stage(os.environ.get("XUEJI_TEST_DIE_AT", Stage.VERIFY_ISSUE.value))


class DyingStoreActivities(StoreActivities):
    @activity.defn(name="record_case")
    async def record_case(self, record: CaseRecord) -> None:
        await super().record_case(record)
        if record.case is not None and record.case.stage is DIE_AT:
            os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    xueji.worker.StoreActivities = DyingStoreActivities  # type: ignore[misc]
    xueji.worker.main()
