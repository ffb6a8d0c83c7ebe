"""After informing, in real Chromium: the city records its follow-up call on the case page, the
complainant asks for a review on the tracking page at a phone's width, and the province reopens
the case from its own page; axe on each, screenshots for a reviewer."""

from playwright.async_api import expect

from tests.api.test_aftercare_api import closed_case
from tests.console.test_case_page_browser import open_case, stage_shown
from tests.support.browser import Console, accessible, screenshot

PHONE = {"width": 375, "height": 812}


async def test_follow_up_review_request_and_reopening(console: Console) -> None:
    case = await closed_case(console.system)

    city = await open_case(console, "sjz_handler", case.id)
    await expect(city.locator("#action-follow-up")).to_be_visible()
    await expect(city.locator("#action-review-request")).to_be_visible()
    assert await city.locator("#action-review").count() == 0  # the province decides
    await accessible(city)
    await screenshot(city, "case-follow-up")
    await city.get_by_label("基本满意").check()
    await city.get_by_label("回访情况（可不填）").fill("家长表示基本满意，但希望尽快更正")
    await city.get_by_role("button", name="记录回访结果").click()
    await expect(city.get_by_role("status")).to_contain_text("已记录回访结果")
    assert await city.locator("#action-follow-up").count() == 0

    context = await console.browser.new_context(viewport=PHONE, locale="zh-CN")
    phone = await context.new_page()
    await phone.goto(f"{console.url}/track")
    await phone.get_by_label("受理编号").fill(case.tracking_no)
    await phone.get_by_label("查询码").fill(case.query_code)
    await phone.get_by_role("button", name="查询").click()
    await expect(phone.get_by_role("heading", name="申请复核")).to_be_visible()
    await accessible(phone)
    await phone.get_by_label("不满意的原因").fill("孩子的学籍仍显示在两所学校")
    await screenshot(phone, "track-review-form-phone")
    await phone.get_by_role("button", name="提交复核申请").click()
    await expect(phone.get_by_role("status")).to_contain_text("已收到您的复核申请")
    await accessible(phone)
    await screenshot(phone, "track-review-phone")

    province = await open_case(console, "hb_leader", case.id)
    review = province.locator("#action-review")
    await expect(review).to_be_visible()
    await accessible(province)
    await review.get_by_label("重新办理", exact=True).check()
    await review.get_by_label("复核意见（维持的理由，或重新办理的要求）").fill("请重新核查两校登记")
    await review.get_by_label("我已核对以上内容；复核结论作出后不能撤销").check()
    await screenshot(province, "case-review")
    await review.get_by_role("button", name="作出复核结论").click()
    await expect(province.get_by_role("status")).to_contain_text("已作出复核结论")
    await stage_shown(province, "研究办理意见")
    await accessible(province)
