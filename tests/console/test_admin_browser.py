"""The administrators' pages in real Chromium, each walked through its main flow with axe and a
screenshot per page: the Ministry's secadmin corrects a refused policy and saves it, the
Ministry's sysadmin uploads a year's file, sees which deadlines it would move and loads it,
the Ministry's auditor filters the log and finds the record broken in the store."""

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Page
from sqlalchemy import text

from store.db import engine_for
from tests.console.test_console_admin import PINNED, case_and_campaign
from tests.support.browser import VIEWPORT, Console, accessible, phone_screenshot, screenshot
from tests.support.demo import MINISTRY
from tests.support.http_support import PASSWORD


@pytest.fixture
def api_clock() -> Callable[[], datetime]:
    return lambda: PINNED


async def administrator(console: Console, username: str, role: str) -> Page:
    """A new browser signed in as a new administrator of the Ministry, with its dynamic code."""
    system = console.system
    secret = system.add_account(
        username, unit_code=MINISTRY, role=role, totp=True, display_name="周敏"
    )
    assert secret is not None
    context = await console.browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{console.url}/console/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_label("动态验证码").fill(pyotp.TOTP(secret).at(system.now()))
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{console.url}/console")
    return page


async def test_the_ministrys_secadmin_corrects_and_saves_the_policy(console: Console) -> None:
    page = await administrator(console, "moe.secadmin2", "secadmin")
    nav = page.get_by_role("navigation", name="工作台")
    assert await nav.get_by_role("link", name="审计日志").count() == 0
    await nav.get_by_role("link", name="密码策略").click()
    await page.get_by_label("最短长度").fill("6")
    await page.get_by_label("密码有效期（天）").fill("60")
    await page.get_by_role("button", name="保存并立即生效").click()
    summary = page.get_by_role("alert")
    assert "最短长度：不得小于 8" in await summary.inner_text()
    assert await page.get_by_label("密码有效期（天）").input_value() == "60"  # kept as typed
    await accessible(page)
    await screenshot(page, "admin-policy-refused")
    await summary.get_by_role("link").click()
    assert await page.evaluate("document.activeElement.id") == "min_length"
    await page.get_by_label("最短长度").fill("12")
    await page.get_by_label("所有角色使用动态口令").select_option(label="是")
    await page.get_by_role("button", name="保存并立即生效").click()
    await page.get_by_role("status").filter(has_text="密码策略已修改").wait_for()
    assert await page.get_by_label("最短长度").input_value() == "12"
    await accessible(page)
    await screenshot(page, "admin-policy")
    await phone_screenshot(page, "admin-policy")
    policy = await console.system.get("moe_secadmin", "/api/admin/password-policy")
    assert (policy.json()["min_length"], policy.json()["totp_for_all"]) == (12, True)


async def test_the_ministrys_sysadmin_previews_a_year_then_loads_it(
    console: Console, tmp_path: Path
) -> None:
    system = console.system
    case, _ = await case_and_campaign(system)
    year_file = tmp_path / "2031.json"
    document = {"year": 2031, "source": "国办发明电〔2030〕1号", "workdays": []}
    document["holidays"] = ["2031-03-04", "2031-03-06"]
    year_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    page = await administrator(console, "moe.sysadmin", "sysadmin")
    await page.get_by_role("navigation", name="工作台").get_by_role("link", name="工作日历").click()
    row = page.get_by_role("row").filter(has_text="2031")
    assert "预计" in await row.inner_text()
    await accessible(page)
    await screenshot(page, "admin-calendar")
    await page.get_by_label("年度安排文件（可选）").set_input_files(year_file)
    await page.get_by_role("button", name="预览将移动的期限").click()
    await page.get_by_role("heading", name="载入 2031 年安排前：将移动的期限").wait_for()
    moved = page.get_by_role("row").filter(has_text=case["tracking_no"])
    cells = await moved.get_by_role("cell").all_inner_texts()
    assert cells[1:] == [
        "下发核查单",
        "石家庄市教育局",
        "2031-03-06 23:59",
        "2031-03-10 23:59",
        "推迟 2 个工作日（4 天）",
    ]
    reminder = page.get_by_role("row").filter(has_text="学籍投诉处理人员信息报送")
    assert "提前 1 个工作日（1 天）" in await reminder.inner_text()
    await accessible(page)
    await screenshot(page, "admin-calendar-preview")
    await phone_screenshot(page, "admin-calendar-preview")
    await page.get_by_role("button", name="载入 2031 年安排并重新计算期限").click()
    await page.get_by_role("status").filter(has_text="2031 年安排已保存").wait_for()
    assert "官方安排" in await page.get_by_role("row").filter(has_text="2031").inner_text()
    # The re-timing's progress, refreshed on the page until it is done.
    await page.get_by_role("status").filter(has_text="已完成").wait_for()
    retiming = page.get_by_role("definition").filter(has_text="件案件和报送活动")
    assert await retiming.count() == 1
    await accessible(page)
    await screenshot(page, "admin-calendar-loaded")


async def test_the_ministrys_auditor_filters_the_log_and_finds_a_broken_record(
    console: Console,
) -> None:
    system = console.system
    page = await administrator(console, "moe.auditor", "auditor")
    nav = page.get_by_role("navigation", name="工作台")
    assert await nav.get_by_role("link", name="密码策略").count() == 0
    await nav.get_by_role("link", name="审计日志").click()
    await page.get_by_label("用户").fill("moe.auditor")
    await page.get_by_label("结果").select_option(label="成功")
    await page.get_by_role("button", name="查询").click()
    rows = page.get_by_role("row").filter(has_text="moe.auditor")
    assert await rows.count() >= 1  # its own sign-in
    assert "/console/login" in await rows.first.inner_text()
    await accessible(page)
    await screenshot(page, "admin-audit")
    await phone_screenshot(page, "admin-audit")
    seq = int(await rows.first.get_by_role("cell").first.inner_text())

    engine = engine_for(system.settings)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_log SET client = '10.0.0.1' WHERE seq = :seq"), {"seq": seq}
        )
    engine.dispose()
    await page.get_by_role("link", name="校验审计日志完整性").click()
    alert = page.get_by_role("alert")
    assert f"审计日志已被篡改：第 {seq} 条。" in await alert.inner_text()
    broken = page.get_by_role("row").filter(has_text="10.0.0.1")
    assert (await broken.get_by_role("cell").first.inner_text()) == str(seq)
    await accessible(page)
    await screenshot(page, "admin-audit-broken")
