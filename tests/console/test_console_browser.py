"""The console in real Chromium: sign in, the inbox with its overdue and unassigned marks,
accessibility (axe-core) and a screenshot of each page."""

from tests.support.browser import Console, accessible, screenshot
from tests.support.http_support import register, visible


async def test_a_handler_signs_in_and_sees_the_units_work(console: Console) -> None:
    created = await register(console.system)
    await visible(console.system, "sjz_handler", created["id"])

    page = await console.page_of("sjz_handler")
    row = page.get_by_role("row").filter(has_text=created["tracking_no"])
    await row.wait_for()
    assert "下发核查单" in await row.inner_text()
    assert "未指定" in await row.inner_text()
    await accessible(page)
    await screenshot(page, "inbox")

    await page.get_by_role("link", name="我的（0）").click()
    assert await page.get_by_text("没有待办事项").is_visible()
    await page.get_by_role("button", name="退出").click()
    await page.wait_for_url(f"{console.url}/console/login")
    await accessible(page)
    await screenshot(page, "login")
