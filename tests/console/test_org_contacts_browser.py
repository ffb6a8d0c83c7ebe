"""组织机构 and 投诉电话和邮箱 in real Chromium, the app's clock pinned (2030-03-04 09:00 Beijing
time): the Ministry's sysadmin searches the tree, opens a county, uploads a tree whose removal
is refused by name, then one it previews and applies; Hebei's sysadmin sees the units whose
contacts are to be confirmed, corrects a refused phone and confirms another unit unchanged.
axe on each page and a screenshot of each."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Page
from sqlmodel import col, select, update

from store.db import session_scope
from store.models import Unit
from tests.support.browser import VIEWPORT, Console, accessible, phone_screenshot, screenshot
from tests.support.demo import (
    CHANG_AN,
    DEMO_SCHOOLS_CSV,
    DEMO_UNITS_CSV,
    PROVINCE,
    QIAO_XI,
    XIN_HUA,
)

NOW = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)


@pytest.fixture
def api_clock() -> Callable[[], datetime]:
    return lambda: NOW


async def admin_page(console: Console, username: str, unit_code: str) -> Page:
    """A new browser signed in as a new sysadmin of `unit_code`, with its dynamic code."""
    secret = console.system.add_account(username, unit_code=unit_code, role="sysadmin", totp=True)
    assert secret is not None
    context = await console.browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{console.url}/console/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill("Correct-Horse-7")
    await page.get_by_label("动态验证码").fill(pyotp.TOTP(secret).at(NOW))
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{console.url}/console")
    return page


def tree_files(
    folder: Path, *, drop_unit: str = "", rename: tuple[str, str] = ("", "")
) -> tuple[Path, Path]:
    """The demo tree's two files, a unit left out (with its schools) or renamed."""
    units = [
        line.replace(*rename) if rename[0] else line
        for line in DEMO_UNITS_CSV.read_text(encoding="utf-8").splitlines()
        if not (drop_unit and line.startswith(f"{drop_unit},"))
    ]
    schools = [
        line
        for line in DEMO_SCHOOLS_CSV.read_text(encoding="utf-8").splitlines()
        if not (drop_unit and line.endswith(f",{drop_unit}")) and not line.startswith("2130102006,")
    ]
    folder.mkdir(exist_ok=True)
    (folder / "units.csv").write_text("\n".join(units) + "\n", encoding="utf-8")
    (folder / "schools.csv").write_text("\n".join(schools) + "\n", encoding="utf-8")
    return folder / "units.csv", folder / "schools.csv"


async def test_the_ministry_browses_the_tree_and_imports_a_new_one(
    console: Console, tmp_path: Path
) -> None:
    page = await admin_page(console, "moe_sysadmin", "000000")
    await page.get_by_role("link", name="组织机构").click()
    await page.get_by_label("查找本单位及下级的单位和学校").fill("长安")
    await page.get_by_role("button", name="查找").click()
    results = page.get_by_role("table").filter(has_text="查找“长安”的结果")
    await results.get_by_role("link", name="长安区教育局").click()
    assert page.url.endswith(f"/console/org/units/{CHANG_AN}")
    assert "长安区特殊教育学校" in await page.get_by_role("table").inner_text()
    assert "石家庄市教育局（130100）" in await page.locator("dl").inner_text()
    await accessible(page)
    await screenshot(page, "org-unit")

    await page.get_by_role("link", name="回到本单位").click()
    await page.get_by_role("link", name="导入新的组织机构树").click()
    await page.get_by_role("button", name="上传并预览").click()  # no files chosen
    assert "单位文件：请选择文件" in await page.get_by_role("alert").inner_text()
    await accessible(page)
    await screenshot(page, "org-import-errors")

    units, schools = tree_files(tmp_path / "refused", drop_unit=XIN_HUA)  # its handler's unit
    await page.get_by_label("单位文件").set_input_files(units)
    await page.get_by_label("学校文件").set_input_files(schools)
    await page.get_by_role("button", name="上传并预览").click()
    refusal = page.get_by_role("alert")
    assert "石家庄市新华区教育局（130105）：1 个工作人员账号" in await refusal.inner_text()
    assert await page.get_by_role("button", name="确认导入新的组织机构树").count() == 0
    await accessible(page)
    await screenshot(page, "org-import-refused")

    await page.get_by_role("link", name="重新上传文件").click()
    units, schools = tree_files(
        tmp_path / "renamed", rename=("长安区教育局", "石家庄市长安区教育局")
    )
    await page.get_by_label("单位文件").set_input_files(units)
    await page.get_by_label("学校文件").set_input_files(schools)
    await page.get_by_role("button", name="上传并预览").click()
    renamed = page.get_by_role("table").filter(has_text="改名的单位：1 个")
    assert "石家庄市长安区教育局" in await renamed.inner_text()
    removed = page.get_by_role("table").filter(has_text="删除的学校：1 个")
    assert "长安区特殊教育学校" in await removed.inner_text()
    await accessible(page)
    await screenshot(page, "org-import-preview")
    await phone_screenshot(page, "org-import-preview")
    await page.get_by_role("button", name="确认导入新的组织机构树").click()
    done = page.get_by_role("status").filter(has_text="已导入新的组织机构树")
    assert "342 个单位、1362 所学校" in await done.inner_text()
    await accessible(page)
    with session_scope(console.system.app.state.engine) as session:
        unit = session.get(Unit, CHANG_AN)
        assert unit is not None and unit.name == "石家庄市长安区教育局"


async def test_a_province_confirms_its_units_contacts(console: Console) -> None:
    with session_scope(console.system.app.state.engine) as session:  # confirmed a month ago
        session.exec(update(Unit).values(contact_confirmed_at=datetime(2030, 2, 4, tzinfo=UTC)))  # type: ignore[call-overload]
        session.exec(
            update(Unit).where(col(Unit.code) == CHANG_AN).values(contact_confirmed_at=None)
        )  # type: ignore[call-overload]
        old = datetime(2029, 3, 3, 16, 0, tzinfo=UTC)  # 2029-03-04 00:00 in Beijing: over a year
        session.exec(update(Unit).where(col(Unit.code) == QIAO_XI).values(contact_confirmed_at=old))  # type: ignore[call-overload]
    page = await admin_page(console, "hb_sysadmin", PROVINCE)
    await page.get_by_role("link", name="投诉电话和邮箱").click()
    stale = page.get_by_role("table").filter(has_text="从未确认，或最近确认已超过一年")
    assert "2 个单位" in await stale.inner_text()
    assert "2029-03-04 00:00（超过一年）" in await stale.inner_text()
    await accessible(page)
    await screenshot(page, "contacts")
    await phone_screenshot(page, "contacts")

    await stale.get_by_role("link", name="长安区教育局（130102）").click()
    await page.get_by_label("投诉电话").fill("0311-8600 转 1000")
    await page.get_by_role("button", name="保存投诉电话和邮箱").click()
    summary = page.get_by_role("alert")
    assert "投诉电话：电话号码格式不正确" in await summary.inner_text()
    assert await page.get_by_label("投诉电话").input_value() == "0311-8600 转 1000"
    await accessible(page)
    await screenshot(page, "contacts-refused")
    await page.get_by_label("投诉电话").fill("0311-86001000")
    await page.get_by_role("button", name="保存投诉电话和邮箱").click()
    saved = page.get_by_role("status").filter(has_text="已保存")
    await saved.wait_for()
    assert "2030-03-04 09:00" in await page.locator("dl").inner_text()
    await accessible(page)
    await screenshot(page, "contacts-saved")

    await page.get_by_role("link", name="返回列表").click()
    stale = page.get_by_role("table").filter(has_text="从未确认，或最近确认已超过一年")
    await stale.get_by_role("link", name="石家庄市桥西区教育局（130104）").click()
    await page.get_by_role("button", name="确认无变化").click()
    await page.get_by_role("status").filter(has_text="已确认无变化").wait_for()
    await page.get_by_role("link", name="返回列表").click()
    assert (
        "辖区内所有单位的投诉电话和邮箱都在一年内确认过"
        in await page.get_by_role("status").inner_text()
    )
    with session_scope(console.system.app.state.engine) as session:
        rows = session.exec(
            select(Unit.code, Unit.phone, Unit.contact_confirmed_at).where(
                col(Unit.code).in_([CHANG_AN, QIAO_XI])
            )
        )
        assert sorted(rows) == [(CHANG_AN, "0311-86001000", NOW), (QIAO_XI, "0000-6130104", NOW)]
