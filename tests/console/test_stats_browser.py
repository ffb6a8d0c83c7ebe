"""督办统计 in real Chromium, on the hand-built cases moved to the demo tree: the province's
leader opens the page from the menu, reads the chart and the table beside it, goes down to
石家庄市 and back up, and types a period that ends before it starts; axe on each page and a
screenshot of each."""

from collections.abc import Callable
from datetime import datetime

import pytest

from store.db import engine_for, session_scope
from tests.support.browser import Console, accessible, phone_screenshot, screenshot
from tests.support.stats_cases import NOW, ON_THE_DEMO_TREE, add_oversight_cases


@pytest.fixture
def api_clock() -> Callable[[], datetime]:
    return lambda: NOW


async def test_a_leader_reads_the_figures_and_goes_one_level_down(console: Console) -> None:
    engine = engine_for(console.system.settings)
    with session_scope(engine) as session:
        add_oversight_cases(session, ON_THE_DEMO_TREE)
    engine.dispose()

    page = await console.page_of("hb_leader")
    await page.get_by_role("link", name="督办统计").click()
    await page.get_by_role("heading", name="督办统计").wait_for()
    status = await page.get_by_role("status").inner_text()
    assert "河北省教育厅及其下级：2030-03-01 至 2030-03-31" in status
    chart = page.get_by_role("img", name="每周受理与办结件数")
    assert await chart.is_visible()
    ranking = page.get_by_role("table").filter(has_text="当前超期").first
    city = ranking.get_by_role("row").filter(has_text="石家庄市教育局")
    assert "50.0%" in await city.inner_text()
    await accessible(page)
    await screenshot(page, "stats-province")

    await city.get_by_role("link", name="石家庄市教育局").click()
    await page.get_by_role("navigation", name="单位层级").get_by_text("石家庄市教育局").wait_for()
    figures = page.get_by_role("table").filter(has_text="按时办结率").first
    received = figures.get_by_role("row").filter(has_text="受理").first
    assert await received.inner_text() == "受理\t6\t2"
    await accessible(page)
    await screenshot(page, "stats-city")
    await phone_screenshot(page, "stats-city")

    await page.get_by_label("起始日（含）").fill("2030-03-20")
    await page.get_by_label("截止日（含）").fill("2030-03-10")
    await page.get_by_role("button", name="统计").click()
    summary = page.get_by_role("alert").filter(has_text="统计期间有误")
    assert "截止日：结束日期不能早于开始日期" in await summary.inner_text()
    assert await page.get_by_label("截止日（含）").input_value() == "2030-03-10"
    await accessible(page)
    await screenshot(page, "stats-refused")
    await page.get_by_role("navigation", name="单位层级").wait_for(state="detached")
    await page.get_by_role("link", name="本月").click()
    await (
        page.get_by_role("navigation", name="单位层级")
        .get_by_role("link", name="河北省教育厅")
        .click()
    )
    assert "河北省教育厅及其下级" in await page.get_by_role("status").inner_text()
