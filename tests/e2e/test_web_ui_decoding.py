"""Signing in to the console is all a member of staff needs for the Temporal Web UI to decode:
the local system as `make run` starts it (the dev server with its Web UI behind
xueji.web_ui_front, the worker, the API), a complaint registered, and in real Chromium the
case's workflow opened in the Web UI, once without signing in (its input stays encrypted) and
once after signing in to the console (the complainant's name reads in clear)."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from api.web_ui import workflow_link
from core.settings import Settings
from store.migrate import upgrade
from tests.support.browser import VIEWPORT, accessible, closing_contexts, screenshot
from tests.support.demo import CHANG_AN_SCHOOL
from tests.support.local import WHOLE_SYSTEM
from tests.support.local_system import local_settings
from tests.support.waiting import eventually
from xueji.demo import DemoAccount, create_demo_accounts
from xueji.dev import Supervisor, child_env, load_demo_tree_if_empty, local_commands

pytestmark = WHOLE_SYSTEM

COMPLAINANT = "欧阳澄澈"  # a name that only the decoded input can show
WAIT_MS = 60_000


@dataclass
class LocalSystem:
    settings: Settings
    accounts: dict[str, DemoAccount]

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.settings.api_port}"


@pytest.fixture
def local_system(tmp_path: Path) -> Iterator[LocalSystem]:
    """The processes `xueji dev` starts, on free ports, their output in tmp_path/*.log."""
    settings = local_settings(tmp_path / "data")
    upgrade(settings.store_url)
    load_demo_tree_if_empty(settings)
    accounts = {a.username: a for a in create_demo_accounts(settings, datetime.now(UTC))}
    supervisor = Supervisor()
    commands = local_commands(settings)
    try:
        for name in ("temporal", "web-ui", "worker", "api"):
            supervisor.start(
                name, commands[name], child_env(settings), log=tmp_path / f"{name}.log"
            )
        yield LocalSystem(settings, accounts)
    finally:
        supervisor.stop_all()


@pytest.fixture
async def browser(chromium: Browser) -> AsyncIterator[Browser]:
    async with closing_contexts(chromium) as shared:
        yield shared


async def register(system: LocalSystem) -> str:
    """A complaint filed over the API by 长安区's clerk, once the API is up: its workflow id."""
    async with httpx.AsyncClient(base_url=system.api, timeout=30) as http:

        async def healthy() -> bool:
            try:
                return (await http.get("/api/health")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(healthy, timeout=90, interval=0.5, failure="the API never came up")
        clerk = system.accounts["changan.clerk"]
        login = {"username": clerk.username, "password": clerk.password}
        token = (await http.post("/api/auth/login", json=login)).json()["token"]
        complaint = {
            "channel": "phone",
            "complainant": {"name": COMPLAINANT, "phone": "137 0311 8642"},
            "students": [{"name": "欧阳小满", "id_card": "11010519491231002X"}],
            "school_codes": [CHANG_AN_SCHOOL],
            "summary": "转学后原校未注销学籍",
        }
        headers = {"Authorization": f"Bearer {token}"}
        created = await http.post("/api/complaints", json=complaint, headers=headers)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])


async def open_workflow(page: Page, system: LocalSystem, workflow_id: str) -> None:
    """From the Web UI's list filtered to the case, into its workflow: the input shown."""
    await page.goto(workflow_link(system.settings, workflow_id))
    await page.get_by_role("link", name=workflow_id).first.click(timeout=WAIT_MS)
    await expect(page.get_by_text("Run ID")).to_be_visible(timeout=WAIT_MS)


async def test_signing_in_to_the_console_lets_the_web_ui_decode(
    local_system: LocalSystem, browser: Browser
) -> None:
    workflow_id = await register(local_system)

    # Nobody signed in: the Web UI shows the workflow, its input still encrypted.
    stranger = await (await browser.new_context(viewport=VIEWPORT, locale="zh-CN")).new_page()
    await open_workflow(stranger, local_system, workflow_id)
    refused = stranger.locator("#content").get_by_text("Codec Server could not connect")
    await expect(refused).to_be_visible(timeout=WAIT_MS)  # the codec said 401
    assert COMPLAINANT not in await stranger.content()
    await screenshot(stranger, "web-ui-not-signed-in")

    # 长安区's handler signs in to the console, and follows its nav to the Web UI.
    context = await browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = await context.new_page()
    handler = local_system.accounts["changan.handler"]
    await page.goto(f"{local_system.api}/console/login")
    await page.get_by_label("用户名").fill(handler.username)
    await page.get_by_label("密码", exact=True).fill(handler.password)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{local_system.api}/console")
    await accessible(page)
    web_ui = page.get_by_role("link", name="Temporal Web UI")
    assert await web_ui.get_attribute("href") == (
        f"http://127.0.0.1:{local_system.settings.temporal_ui_port}/namespaces/default"
    )
    await web_ui.click()
    await page.wait_for_url(f"http://127.0.0.1:{local_system.settings.temporal_ui_port}/**")

    await open_workflow(page, local_system, workflow_id)

    await expect(page.get_by_text(COMPLAINANT).first).to_be_visible(timeout=WAIT_MS)
    assert not await page.get_by_text("Codec Server could not connect").count()
    await screenshot(page, "web-ui-decoded")

    # Read-only, as in production: no write offered, and none passes the front.
    await expect(page.get_by_role("button", name="Request Cancellation")).to_be_disabled()
    ui = f"http://127.0.0.1:{local_system.settings.temporal_ui_port}"
    async with httpx.AsyncClient(base_url=ui, timeout=10) as http:
        signal = f"/api/v1/namespaces/default/workflows/{workflow_id}/signal/withdraw"
        refused = await http.post(signal, json={})
        assert (refused.status_code, refused.text) == (
            403,
            "Temporal Web UI 只读：案件只能在工作台办理",
        )
        settings = (await http.get("/api/v1/settings")).json()
        assert settings["DisableWriteActions"] is True
        assert settings["Codec"]["IncludeCredentials"] is True
