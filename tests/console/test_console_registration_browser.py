"""受理登记 in real Chromium: a clerk takes a call, finds the school by typing part of its name,
picks it with the keyboard, adds a student row, previews and saves, and reads out the tracking
number; another call is referred to the county's hotline. axe-core on every state of the page,
and the screenshots register-form, register-preview, register-done (and the refused form and
the referral)."""

import re

from playwright.async_api import Page, expect

from tests.support.browser import Console, accessible, screenshot

TRACKING_NO = re.compile(r"^\d{8}[0-9A-Z]{7}$")


async def open_form(console: Console, username: str) -> Page:
    page = await console.page_of(username)
    await page.get_by_role("link", name="受理登记").click()
    await page.wait_for_url(f"{console.url}/console/register")
    return page


async def pick_school(page: Page, typed: str, name: str) -> None:
    """Type part of a school's name into the picker and tick the school with the keyboard."""
    await page.get_by_label("查找学校").press_sequentially(typed, delay=40)
    choice = page.get_by_role("checkbox", name=re.compile(name))
    await choice.focus()
    await page.keyboard.press("Space")
    await expect(choice).to_be_checked()


async def test_a_clerk_registers_a_call_with_the_school_picker(console: Console) -> None:
    page = await open_form(console, "sjz_clerk")
    await expect(page.get_by_role("link", name="来电")).to_have_attribute("aria-current", "page")
    await accessible(page)

    await page.get_by_label("姓名 *").fill("张晓明")
    await page.get_by_label("联系电话").fill("138 1234 5678")
    await pick_school(page, "长安区第一", "长安区第一中学")
    # Another search keeps the school picked.
    await page.get_by_label("查找学校").fill("")
    await page.get_by_label("查找学校").press_sequentially("桥西", delay=40)
    await expect(page.get_by_role("group", name="已选学校")).to_contain_text("长安区第一中学")
    await expect(page.get_by_role("checkbox", name=re.compile("桥西区第一中学"))).to_be_visible()
    await expect(page.get_by_role("checkbox", name=re.compile("长安区第一中学"))).to_be_checked()

    await page.get_by_label("第 1 名学生的姓名").fill("张小雨")
    await page.get_by_role("button", name="再添加一名学生").click()
    fourth = page.get_by_label("第 4 名学生的姓名")
    await expect(fourth).to_be_focused()
    await page.keyboard.type("张小雪")
    await page.get_by_label("投诉内容摘要 *").fill("孩子的学籍被错误转出到另一所学校")
    await accessible(page)
    await screenshot(page, "register-form")

    await page.get_by_role("button", name="预览登记结果").click()
    await expect(page.get_by_role("heading", name="核对登记内容")).to_be_visible()
    plan = page.get_by_role("region", name="登记后的办理安排")
    await expect(plan).to_contain_text("长安区教育局")
    await expect(plan).to_contain_text("石家庄市教育局 → 长安区教育局")
    await expect(plan).to_contain_text("下发核查单")
    await expect(page.get_by_role("region", name="登记内容")).to_contain_text("张小雪")
    await accessible(page)
    await screenshot(page, "register-preview")

    await page.get_by_role("button", name="确认登记").click()
    await expect(page.get_by_role("heading", name="登记完成")).to_be_visible()
    tracking_no = (await page.locator(".numbers dd").first.inner_text()).strip()
    assert TRACKING_NO.match(tracking_no), tracking_no
    assert re.fullmatch(r"\d{6}", (await page.locator(".numbers dd").nth(1).inner_text()).strip())
    case_link = page.get_by_role("link", name="查看案件")
    assert re.fullmatch(r"/console/cases/c-[0-9a-f]+", await case_link.get_attribute("href") or "")
    await accessible(page)
    await screenshot(page, "register-done")
    await page.emulate_media(media="print")
    await screenshot(page, "register-done-print")
    await page.emulate_media(media="screen")

    found = await console.system.get("sjz_clerk", "/api/complaints", tracking_no=tracking_no)
    assert found.json()["total"] == 1


async def test_a_call_is_referred_to_the_countys_hotline(console: Console) -> None:
    page = await open_form(console, "hb_clerk")
    await page.get_by_role("button", name="预览登记结果").click()  # nothing filled in
    summary = page.get_by_role("alert").filter(has_text="未能登记")
    await expect(summary).to_be_visible()
    await expect(summary.get_by_role("link", name="投诉人姓名：不能为空")).to_be_visible()
    await expect(summary).to_be_focused()
    await expect(page.locator("#complainant_name")).to_have_attribute("aria-invalid", "true")
    await accessible(page)
    await screenshot(page, "register-refused")

    await page.get_by_label("姓名 *").fill("王丽")
    await pick_school(page, "长安区第一", "长安区第一中学")
    await page.get_by_label("投诉内容摘要 *").fill("询问转学后学籍何时转入")
    await page.get_by_label("告知下级热线").check()
    await page.get_by_role("button", name="预览登记结果").click()
    await expect(page.get_by_role("heading", name="核对登记内容")).to_be_visible()
    await expect(page.get_by_role("note")).to_contain_text("0000-6130102")
    await accessible(page)

    await page.get_by_role("button", name="确认登记").click()
    await expect(page.get_by_role("heading", name="登记完成")).to_be_visible()
    receipt = page.get_by_role("region", name="已告知下级热线，本件结束")
    await expect(receipt).to_contain_text("长安区教育局")
    await expect(receipt).to_contain_text("0000-6130102")
    await expect(page.locator(".numbers dd").first).to_have_text(TRACKING_NO)
    await accessible(page)
    await screenshot(page, "register-referred")
