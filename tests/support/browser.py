"""The console in a real browser: Debian's Chromium driven by Playwright (never Playwright's own
browser download), the app served over real HTTP on 127.0.0.1, axe-core for accessibility,
and screenshots at 1366×768 saved under test-screenshots/ for a reviewer to look at."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright
from temporalio.testing import WorkflowEnvironment

from tests.support.http_support import PASSWORD, System, running_system
from tests.support.local import free_port
from tests.support.stores import DEMO_TREE, FreshStore

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}
PHONE_VIEWPORT = {"width": 390, "height": 844}
SERIOUS = {"serious", "critical"}


@dataclass
class Console:
    """The running system and the address its console answers on."""

    system: System
    url: str
    browser: Browser

    async def page_of(self, username: str) -> Page:
        """A new browser (its own cookies) signed in as `username`."""
        context = await self.browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        page = await context.new_page()
        await page.goto(f"{self.url}/console/login")
        await page.get_by_label("用户名").fill(username)
        await page.get_by_label("密码", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="登录").click()
        await page.wait_for_url(f"{self.url}/console")
        return page


async def accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    results = await Axe().run(page)
    found = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]
    assert not found, found


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


async def phone_screenshot(page: Page, name: str) -> None:
    """The page as a phone shows it (390 px wide, `NAME-phone.png`), then back to the
    desktop viewport: nothing but a table's own scroll box is wider than the screen."""
    await page.set_viewport_size(PHONE_VIEWPORT)
    await screenshot(page, f"{name}-phone")
    overflow = await page.evaluate("document.documentElement.scrollWidth - innerWidth")
    wide = await page.evaluate(WIDER_THAN_THE_SCREEN) if overflow > 0 else []
    await page.set_viewport_size(VIEWPORT)
    assert overflow <= 0, f"{name}: the page is {overflow} px wider than a phone: {wide}"


# The elements that reach past the screen's right edge outside any scroll box of their own.
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")].filter((element) => {
  if (element.getBoundingClientRect().right <= innerWidth + 1) return false;
  for (let up = element.parentElement; up; up = up.parentElement) {
    if (["auto", "scroll", "hidden"].includes(getComputedStyle(up).overflowX)) return false;
  }
  return true;
}).slice(0, 5).map((element) => element.tagName.toLowerCase() + "." + element.className)"""


@asynccontextmanager
async def serving(system_app: Any) -> AsyncIterator[str]:
    """The app (whose lifespan has begun) served over HTTP in this event loop."""
    port = free_port()
    config = uvicorn.Config(
        system_app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """One Chromium a test process (an xdist worker): launching it took a second or two a test.
    Each test opens its pages in contexts of its own (their own cookies and storage), closed
    when the test ends (`closing_contexts`)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def closing_contexts(browser: Browser) -> AsyncIterator[Browser]:
    """The shared browser for one test: the contexts it opened are closed when it ends."""
    try:
        yield browser
    finally:
        for context in browser.contexts:
            await context.close()


@pytest.fixture
def browser_store_url(tmp_path: Path) -> Iterator[str]:
    """A SQLite store holding the demo tree. The browser tests drive the pages, whose store
    calls are the ones the console's HTTP tests (tests/console/test_console_*.py,
    test_case_page.py) run on both SQLite and PostgreSQL; running each browser flow twice
    would add a minute to the suite and nothing to what it checks."""
    store = FreshStore("sqlite", tmp_path)
    try:
        yield store.make(DEMO_TREE)
    finally:
        store.drop()


@pytest.fixture
async def console(
    browser_store_url: str,
    tmp_path: Path,
    dev_server: WorkflowEnvironment,
    api_clock: Callable[[], datetime],
    chromium: Browser,
) -> AsyncIterator[Console]:
    async with (
        running_system(browser_store_url, tmp_path, dev_server, api_clock) as system,
        serving(system.app) as url,
        closing_contexts(chromium) as browser,
    ):
        yield Console(system, url, browser)
