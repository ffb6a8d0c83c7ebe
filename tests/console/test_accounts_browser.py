"""账号 and 动态口令 in real Chromium: a sysadmin asks for an account, sees its password once, a
secadmin approves, the new clerk signs in with it and must change it, then finds who asked and
who approved; an auditor binds an authenticator from the QR page. axe and a screenshot on
every page."""

import pyotp
from playwright.async_api import Page, expect

from tests.support.browser import VIEWPORT, Console, accessible, phone_screenshot, screenshot
from tests.support.demo import CITY, PROVINCE
from tests.support.http_support import PASSWORD


async def signed_in(console: Console, username: str, password: str, secret: str | None) -> Page:
    """A new browser signed in as `username`, with the TOTP code when `secret` is given."""
    context = await console.browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{console.url}/console/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill(password)
    if secret:
        await page.get_by_label("动态验证码").fill(pyotp.TOTP(secret).at(console.system.now()))
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state()
    return page


async def test_an_account_is_asked_approved_and_its_password_changed_at_first_use(
    console: Console,
) -> None:
    system = console.system
    sysadmin_secret = system.add_account(
        "sjz_sysadmin", unit_code=CITY, role="sysadmin", totp=True, display_name="周强"
    )
    secadmin_secret = system.add_account(
        "hb_secadmin", unit_code=PROVINCE, role="secadmin", totp=True, display_name="吴敏"
    )
    sysadmin = await signed_in(console, "sjz_sysadmin", PASSWORD, sysadmin_secret)

    await sysadmin.get_by_role("link", name="账号", exact=True).click()
    await expect(sysadmin.get_by_role("heading", name="账号（")).to_be_visible()
    await accessible(sysadmin)
    await screenshot(sysadmin, "accounts-sysadmin")
    await sysadmin.get_by_role("link", name="申请开通新账号").click()
    await sysadmin.get_by_label("用户名").fill("x")
    await sysadmin.get_by_label("姓名").fill("刘洋")
    await sysadmin.get_by_label("单位代码").fill(CITY)
    await sysadmin.get_by_label("角色").select_option("clerk")
    await sysadmin.get_by_role("button", name="提交开通申请").click()
    await expect(sysadmin.get_by_role("alert")).to_contain_text("用户名：用户名须为 3 至 32 位")
    await expect(sysadmin.get_by_label("姓名")).to_have_value("刘洋")  # kept
    await accessible(sysadmin)
    await screenshot(sysadmin, "account-new-refused")
    await sysadmin.get_by_label("用户名").fill("sjz_liuyang")
    await sysadmin.get_by_role("button", name="提交开通申请").click()
    shown = sysadmin.locator("#one-time-password")
    password = (await shown.inner_text()).strip()
    assert len(password) >= 16
    await expect(sysadmin.get_by_role("heading", name="等待安全管理员批准")).to_be_visible()
    await accessible(sysadmin)
    await screenshot(sysadmin, "account-asked")
    await sysadmin.reload()  # the form sent again: refused, the password not shown again
    await expect(sysadmin.get_by_role("alert")).to_contain_text("已有同类待批准的申请")
    assert password not in await sysadmin.content()

    secadmin = await signed_in(console, "hb_secadmin", PASSWORD, secadmin_secret)
    await secadmin.get_by_role("link", name="账号", exact=True).click()
    row = secadmin.get_by_role("row").filter(has_text="sjz_liuyang")
    await expect(row).to_contain_text("开通账号（受理员）")
    await expect(row).to_contain_text("周强（sjz_sysadmin）")
    assert password not in await secadmin.content()
    await accessible(secadmin)
    await screenshot(secadmin, "accounts-secadmin")
    await row.get_by_role("button", name="批准申请").click()
    await expect(secadmin.get_by_role("status")).to_contain_text("已批准")
    await accessible(secadmin)

    await sysadmin.goto(f"{console.url}/console/accounts")
    asked = sysadmin.get_by_role("table", name="每项申请的办理结果").get_by_role("row")
    await expect(asked.filter(has_text="sjz_liuyang")).to_contain_text("已批准")
    await expect(asked.filter(has_text="sjz_liuyang")).to_contain_text("吴敏（hb_secadmin）")
    await screenshot(sysadmin, "accounts-sysadmin-decided")
    await phone_screenshot(sysadmin, "accounts-sysadmin-decided")
    await sysadmin.get_by_role("link", name="sjz_liuyang", exact=True).click()
    await expect(sysadmin.get_by_role("button", name="申请设置临时密码")).to_be_visible()
    await expect(sysadmin.get_by_role("button", name="停用账号")).to_be_visible()  # at once
    await accessible(sysadmin)
    await screenshot(sysadmin, "account-one")

    clerk = await signed_in(console, "sjz_liuyang", password, None)
    await clerk.wait_for_url(f"{console.url}/console/password")
    await expect(clerk.get_by_text("密码已过期或由管理员设置")).to_be_visible()
    await clerk.get_by_label("原密码").fill(password)
    await clerk.get_by_label("新密码").fill("Own-Choice-2030")
    await clerk.get_by_role("button", name="修改密码").click()
    await clerk.wait_for_url(f"{console.url}/console")
    await expect(clerk.get_by_role("region", name="给我的通知")).to_contain_text(
        "由 sjz_sysadmin 申请、hb_secadmin 批准"
    )
    await accessible(clerk)
    await screenshot(clerk, "inbox-account-notice")


async def test_an_auditor_binds_an_authenticator_from_the_qr_page(console: Console) -> None:
    console.system.add_account("sjz_auditor", unit_code=CITY, role="auditor", display_name="郑洁")
    page = await signed_in(console, "sjz_auditor", PASSWORD, None)

    await page.wait_for_url(f"{console.url}/console/totp")
    await expect(page.get_by_text("管理员账号须先绑定动态口令")).to_be_visible()
    await accessible(page)
    await screenshot(page, "totp-start")
    await page.get_by_role("button", name="开始绑定，显示二维码").click()
    qr = page.get_by_role("img", name="动态口令绑定二维码")
    await expect(qr).to_be_visible()
    assert (await qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    assert await qr.evaluate("image => image.naturalWidth") > 100  # drawn, not broken
    secret = (await page.locator("#totp-secret").inner_text()).replace(" ", "")
    await accessible(page)
    await screenshot(page, "totp-enrol")
    await phone_screenshot(page, "totp-enrol")

    await page.get_by_label("动态验证码").fill("000000")
    await page.get_by_role("button", name="确认绑定").click()
    await expect(page.get_by_role("alert")).to_contain_text("动态验证码不正确")
    await accessible(page)
    await screenshot(page, "totp-enrol-refused")
    await page.get_by_label("动态验证码").fill(pyotp.TOTP(secret).at(console.system.now()))
    await page.get_by_role("button", name="确认绑定").click()
    await expect(page.get_by_role("status")).to_contain_text("本账号已绑定动态口令")
    await accessible(page)
    await screenshot(page, "totp-enrolled")
    await page.get_by_role("link", name="待办").click()  # no longer held at the enrolment
    await page.wait_for_url(f"{console.url}/console")
