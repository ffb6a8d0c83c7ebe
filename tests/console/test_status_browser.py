"""运行状态 in real Chromium: the top unit's sysadmin signs in with the dynamic code, follows
the nav to the page, reads each part's state and the alert board's links (axe-core, a
screenshot)."""

from playwright.async_api import expect

from api.web_ui import ALERT_FILTERS
from tests.support.api_support import totp_code
from tests.support.browser import VIEWPORT, Console, accessible, phone_screenshot, screenshot
from tests.support.demo import MINISTRY
from tests.support.http_support import PASSWORD


async def test_ops_read_the_systems_state_and_the_board_links(console: Console) -> None:
    system = console.system
    secret = system.add_account("moe_ops", unit_code=MINISTRY, role="sysadmin", totp=True)
    assert secret is not None
    context = await console.browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{console.url}/console/login")
    await page.get_by_label("用户名").fill("moe_ops")
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_label("动态验证码（已绑定的账号填写）").fill(totp_code(secret, system.now()))
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{console.url}/console")

    await page.get_by_role("navigation", name="工作台").get_by_role("link", name="运行状态").click()
    await page.wait_for_url(f"{console.url}/console/status")

    table = page.get_by_role("table", name="系统各部分的状态")
    for name in ("业务数据库", "超期案件", "待发通知", "Temporal", "worker"):
        await expect(table.get_by_role("row").filter(has_text=name)).to_be_visible()
    await expect(table.get_by_role("row").filter(has_text="Temporal")).to_contain_text("正常")
    board = page.get_by_role("region", name="告警看板（Temporal Web UI）")
    for name, _query in ALERT_FILTERS:
        await expect(board.get_by_role("link", name=name)).to_be_visible()
    await accessible(page)
    await screenshot(page, "status")
    await phone_screenshot(page, "status")
