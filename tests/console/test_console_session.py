"""A console session in real Chromium: the warning before the idle timeout, and a page whose
session has timed out sends the browser to the login, then back to where it was. The page's
own clock is Playwright's (fast-forwarded); the session's age is set in the store."""

from datetime import timedelta

from sqlmodel import col, select

from store.accounts import get_policy, update_policy
from store.db import engine_for, session_scope
from store.models import PasswordPolicyBase, StaffSession, StaffUser
from tests.support.browser import Console, accessible
from tests.support.http_support import PASSWORD


def set_idle_minutes(console: Console, minutes: int) -> None:
    engine = engine_for(console.system.settings)
    with session_scope(engine) as session:
        policy = get_policy(session=session)
        values = PasswordPolicyBase.model_validate(policy, from_attributes=True)
        update_policy(session=session, values=values.model_copy(update={"idle_minutes": minutes}))
    engine.dispose()


def age_sessions_of(console: Console, username: str, idle: timedelta) -> None:
    """As if the user's sessions had seen nothing for `idle`."""
    engine = engine_for(console.system.settings)
    with session_scope(engine) as session:
        user_id = session.exec(select(StaffUser.id).where(StaffUser.username == username)).one()
        for row in session.exec(select(StaffSession).where(col(StaffSession.user_id) == user_id)):
            row.last_seen_at = console.system.now() - idle
            session.add(row)
    engine.dispose()


async def test_the_idle_warning_comes_before_the_timeout(console: Console) -> None:
    set_idle_minutes(console, 10)
    page = await console.page_of("sjz_handler")
    await page.clock.install()
    await page.reload()
    warning = page.get_by_role("alert")
    assert not await warning.is_visible()
    await page.clock.fast_forward("07:59")
    assert not await warning.is_visible()
    await page.clock.fast_forward("00:02")  # two minutes before the ten are up
    assert "即将因长时间无操作而失效" in await warning.inner_text()
    await accessible(page)


async def test_a_timed_out_page_goes_to_the_login_and_back(console: Console) -> None:
    page = await console.page_of("sjz_handler")
    await page.clock.install()
    await page.goto(f"{console.url}/console?mine=true")
    age_sessions_of(console, "sjz_handler", timedelta(minutes=31))
    await page.clock.fast_forward("00:31")  # the inbox refreshes itself every 30 seconds
    await page.wait_for_url(f"{console.url}/console/login?next=/console%3Fmine%3Dtrue")
    await page.get_by_label("用户名").fill("sjz_handler")
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{console.url}/console?mine=true")
