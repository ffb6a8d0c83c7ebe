"""A repeat complaint (重复件) in real Chromium: the city's clerk takes a second call from a
parent whose first complaint is open; the preview lists it, saving without a choice is refused
with the reason at the top, and the clerk joins the call to the open case, whose tracking
number the receipt gives. axe-core on each page; screenshots register-repeats and
register-joined."""

from playwright.async_api import expect

from tests.console.test_console_registration_browser import open_form, pick_school
from tests.support.browser import Console, accessible, screenshot
from tests.support.http_support import COMPLAINT, register, visible


async def test_a_clerk_joins_a_second_call_to_the_open_case(console: Console) -> None:
    first = await register(console.system, COMPLAINT, username="sjz_clerk")
    await visible(console.system, "sjz_clerk", first["id"])

    page = await open_form(console, "sjz_clerk")
    await page.get_by_label("姓名 *").fill("张晓明")
    await page.get_by_label("联系电话").fill("138 1234 5678")
    await pick_school(page, "长安区第一", "长安区第一中学")
    await page.get_by_label("投诉内容摘要 *").fill("又来电询问学籍问题的处理进度")
    await page.get_by_role("button", name="预览登记结果").click()
    repeats = page.get_by_role("region", name="可能是重复件：已有 1 件相关案件")
    await expect(repeats).to_contain_text(first["tracking_no"])
    await expect(repeats).to_contain_text("电话")

    await page.get_by_role("button", name="确认登记").click()
    summary = page.get_by_role("alert").filter(has_text="未能登记")
    await expect(summary).to_contain_text("请选择并入其中一件")
    await accessible(page)
    await screenshot(page, "register-repeats")

    await page.get_by_label(f"作为重复件并入 {first['tracking_no']}", exact=False).check()
    await page.get_by_role("button", name="确认登记").click()
    await expect(page.get_by_role("heading", name="已作为重复件并入已有案件")).to_be_visible()
    number = (await page.locator(".numbers dd").first.inner_text()).strip()
    assert number == first["tracking_no"]
    await accessible(page)
    await screenshot(page, "register-joined")

    await page.get_by_role("link", name="查看案件").click()
    await expect(page.get_by_text("收到重复件（来电），并入本案办理")).to_be_visible()
    await expect(page.get_by_role("heading", name="关联案件", level=3)).to_be_visible()
    await accessible(page)
