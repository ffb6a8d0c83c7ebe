"""人员信息报送 in real Chromium, on the time-skipping server: the province's leader ticks the
cities, sees the reminder day (预计) before opening; the city's handler adds a row, is told of a
wrong mobile number as it is typed, removes a row, reports; after the due time the correction is
refused with the reason, and the leader sees who is missing, closes and downloads the list.
axe-core on every page; screenshots campaign-new, campaign-preview, campaign-list, campaign-report,
campaign-reported, campaign-refused, campaign-opener, campaign-closed."""

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from domain.workdays import SHANGHAI
from tests.support.browser import (
    Console,
    accessible,
    closing_contexts,
    phone_screenshot,
    screenshot,
    serving,
)
from tests.support.skipping import Skipping, skipping_system


@pytest.fixture
async def skipping_console(
    browser_store_url: str, tmp_path: Path, chromium: Browser
) -> AsyncIterator[tuple[Console, Skipping]]:
    async with (
        skipping_system(browser_store_url, tmp_path) as skipping,
        serving(skipping.system.app) as url,
        closing_contexts(chromium) as browser,
    ):
        yield Console(skipping.system, url, browser), skipping


async def fill_row(page: Page, row: int, values: list[str]) -> None:
    labels = ["姓名", "单位（处室）", "职务", "办公电话", "手机", "电子邮箱"]
    for label, value in zip(labels, values, strict=True):
        await page.get_by_label(f"第 {row} 行的{label}").fill(value)


async def test_a_campaign_from_opening_to_the_compiled_list(
    skipping_console: tuple[Console, Skipping],
) -> None:
    console, skipping = skipping_console
    leader = await console.page_of("hb_leader")
    await leader.get_by_role("link", name="人员信息报送").click()
    await leader.get_by_role("link", name="发起人员信息报送").click()
    await leader.get_by_label("标题 *").fill("2030年学籍投诉处理人员信息报送")
    await leader.get_by_label("截止日期 *").fill("2030-03-15")
    await leader.get_by_label("石家庄市教育局（130100）").check()
    await leader.get_by_label("唐山市教育局（130200）").check()
    await accessible(leader)
    await screenshot(leader, "campaign-new")
    await leader.get_by_role("button", name="核对报送要求").click()
    await expect(leader.get_by_role("heading", name="核对报送要求")).to_be_visible()
    await expect(leader.locator("dl")).to_contain_text("2030-03-12 09:00")
    await expect(leader.locator("dl")).to_contain_text("预计")
    await accessible(leader)
    await screenshot(leader, "campaign-preview")
    await leader.get_by_role("button", name="发起报送").click()
    await expect(leader.get_by_role("status")).to_contain_text("已通知 2 个单位")
    await accessible(leader)
    campaign_path = await leader.get_by_role("link", name="查看报送情况").get_attribute("href")
    assert campaign_path

    city = await console.page_of("sjz_handler")
    await city.get_by_role("link", name="人员信息报送").click()
    await expect(city.get_by_role("link", name="2030年学籍投诉处理人员信息报送")).to_be_visible(
        timeout=10_000
    )
    await accessible(city)
    await screenshot(city, "campaign-list")
    await city.get_by_role("link", name="2030年学籍投诉处理人员信息报送").click()
    await city.get_by_role("link", name="填写人员信息表").click()
    await fill_row(
        city, 1, ["赵敏", "基础教育处", "处长", "0311 8600 1234", "0311-86001234", "z@x.cn"]
    )
    await city.get_by_label("第 1 行的电子邮箱").focus()  # leaving the mobile field checks it
    await expect(city.locator("#mobile_0-check")).to_contain_text("手机")
    await city.get_by_label("第 1 行的手机").fill("138 0311 0000")
    await city.get_by_label("第 1 行的电子邮箱").focus()
    await expect(city.locator("#mobile_0-check")).to_contain_text("将记为 13803110000")
    await city.get_by_role("button", name="再添加一人").click()
    await expect(city.get_by_label("第 2 行的姓名")).to_be_focused()
    await expect(city.get_by_label("第 1 行的姓名")).to_have_value("赵敏")  # kept
    await fill_row(
        city, 2, ["钱进", "基础教育处", "科员", "0311-86001235", "13803110001", "q@x.cn"]
    )
    # A third row, removed again (htmx swaps the rows; what was typed stays).
    await city.get_by_role("button", name="再添加一人").click()
    await city.get_by_label("第 3 行的姓名").fill("孙立")
    await city.get_by_role("button", name="删除第 3 行").click()
    await expect(city.get_by_label("第 3 行的姓名")).to_have_count(0)
    await expect(city.get_by_label("第 2 行的姓名")).to_have_value("钱进")
    await city.get_by_label("对外受理投诉电话 *").fill("0311-86001000")
    await city.get_by_label("对外受理投诉邮箱 *").fill("xueji@130100.example.cn")
    await accessible(city)
    await screenshot(city, "campaign-report")
    await phone_screenshot(city, "campaign-report")
    await city.get_by_role("button", name="报送人员信息表").click()
    await expect(city.get_by_role("status")).to_contain_text("本单位的人员信息表已报送")
    await accessible(city)
    await screenshot(city, "campaign-reported")

    # After the due time (Saturday 16 March) a correction is refused with the reason.
    await skipping.skip_to(datetime(2030, 3, 16, 10, 0, tzinfo=SHANGHAI))
    city = await console.page_of("sjz_handler")
    await city.goto(f"{console.url}{campaign_path}")
    reason = "已过报送截止时间 2030-03-15 23:59，不能再修改已报送的信息"
    await expect(city.locator(".notice")).to_have_text(reason, timeout=10_000)
    await expect(city.get_by_role("link", name="修改报送信息")).to_have_count(0)
    await city.goto(f"{console.url}{campaign_path}/report")
    await expect(city.get_by_role("alert")).to_have_text(reason)
    await accessible(city)
    await screenshot(city, "campaign-refused")

    leader = await console.page_of("hb_leader")
    await leader.goto(f"{console.url}{campaign_path}")
    table = leader.get_by_role("table", name="报送情况：已报送 1 个，未报送 1 个")
    await expect(table).to_contain_text("逾期未报送", timeout=10_000)
    await accessible(leader)
    await screenshot(leader, "campaign-opener")
    await leader.get_by_role("button", name="结束报送并汇总名单").click()
    await expect(leader.get_by_role("status")).to_contain_text("1 个单位未报送")
    await leader.get_by_role("link", name="查看报送情况").click()
    download_link = leader.get_by_role("link", name="下载内部工作协调人员名单（Excel）")
    for _ in range(50):  # the list is compiled a moment after closing
        if await download_link.count():
            break
        await leader.wait_for_timeout(100)
        await leader.reload()
    async with leader.expect_download() as waiting:
        await download_link.click()
    download = await waiting.value
    assert download.suggested_filename == "内部工作协调人员名单-20300316.xlsx"
    await accessible(leader)
    await screenshot(leader, "campaign-closed")
