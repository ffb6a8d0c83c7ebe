"""The console in real Chromium: sign in, the inbox with its overdue and unassigned marks,
accessibility (axe-core) and a screenshot of each page, and a flow done with the keyboard
alone (signing in, opening a case from the inbox, taking it on)."""

from playwright.async_api import Page, expect

from tests.support.browser import VIEWPORT, Console, accessible, screenshot
from tests.support.http_support import PASSWORD, register, visible


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


async def tab_to(page: Page, name: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element's accessible text is `name` (as a keyboard-only
    user reaches a control), failing when it never comes."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value || '')"
        )
        if focused.strip() == name:
            return
    raise AssertionError(f"{name!r} is never reached by Tab")


async def test_a_handler_does_the_work_with_the_keyboard_alone(console: Console) -> None:
    created = await register(console.system)
    await visible(console.system, "sjz_handler", created["id"])
    context = await console.browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{console.url}/console/login")

    await page.get_by_label("用户名").focus()  # the form's first field, where a user starts
    await page.keyboard.type("sjz_handler")
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{console.url}/console")

    await tab_to(page, created["tracking_no"])  # the case's link in the inbox
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{console.url}/console/cases/{created['id']}")
    await tab_to(page, "由我承办")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("已指定承办人")
    await expect(page.locator("#summary-title + dl")).to_contain_text("李明（sjz_handler）")
