"""The slips, the search and the public pages in real Chromium: a county returns its slip, a
school's handler signs in and returns the only slip it sees, a case found by tracking number
and by school and the list downloaded, /track looked up on a phone; axe on each page and a
screenshot of each."""

from io import BytesIO

from openpyxl import load_workbook
from playwright.async_api import Page

from tests.support.browser import Console, accessible, screenshot
from tests.support.demo import CHANG_AN, CHANG_AN_SCHOOL
from tests.support.http_support import COMPLAINT, System, register, visible
from tests.support.waiting import eventually

OTHER_CHANG_AN_SCHOOL = "2130102002"  # 长安区第二中学
PHONE = {"width": 390, "height": 844}


async def slip_to(system: System, issuer: str, case_id: str, addressee: str) -> None:
    """A verification slip from `issuer`'s unit to `addressee`, listed for the issuer."""
    body = {"addressees": [addressee], "instructions": "请核查该生在校学籍登记情况"}
    issued = await system.post(issuer, f"/api/complaints/{case_id}/verification", body)
    assert issued.status_code == 200, issued.text

    async def listed() -> bool:
        slips = (await system.get(issuer, "/api/slips")).json()
        return any(slip["complaint_id"] == case_id for slip in slips)

    await eventually(listed, failure="the slip never reached the read model")


async def test_a_county_handler_returns_a_slip(console: Console) -> None:
    system = console.system
    case = await register(system)
    await visible(system, "sjz_handler", case["id"])
    await slip_to(system, "sjz_handler", case["id"], CHANG_AN)

    page = await console.page_of("ca_handler")
    await page.get_by_role("link", name="收到的单据").click()
    row = page.get_by_role("row").filter(has_text=case["tracking_no"])
    assert "待反馈" in await row.inner_text()
    await row.get_by_role("link", name="填写反馈").click()
    assert page.url.endswith(f"#return-{case['id']}-V1")
    await page.get_by_role("button", name="反馈核查单 V1").click()  # nothing written yet
    summary = page.get_by_role("alert")
    assert "反馈内容：请填写" in await summary.inner_text()
    await accessible(page)
    await summary.get_by_role("link").click()  # the summary leads to the field
    assert page.url.endswith(f"#response-{case['id']}-V1")
    await page.get_by_label("核查情况").fill("经核查，该生学籍登记属实，已通知学校更正。")
    await screenshot(page, "slips")
    await page.get_by_role("button", name="反馈核查单 V1").click()
    await page.get_by_role("status").filter(has_text="已反馈").wait_for()
    assert "已反馈" in await row.inner_text()
    await accessible(page)
    slip = (await system.get("sjz_handler", f"/api/slips/{case['id']}/V1")).json()
    assert slip["response"] == "经核查，该生学籍登记属实，已通知学校更正。"


async def test_a_schools_handler_signs_in_and_returns_its_slip(console: Console) -> None:
    system = console.system
    system.add_account(
        "yz.handler", unit_code=CHANG_AN_SCHOOL, role="handler", display_name="陈老师"
    )
    ours = await register(system)
    await visible(system, "sjz_handler", ours["id"])
    await slip_to(system, "sjz_handler", ours["id"], CHANG_AN_SCHOOL)
    theirs = await register(system, {**COMPLAINT, "school_codes": [OTHER_CHANG_AN_SCHOOL]})
    await visible(system, "ca_handler", theirs["id"])
    await slip_to(system, "ca_handler", theirs["id"], OTHER_CHANG_AN_SCHOOL)

    page = await console.page_of("yz.handler")
    nav = page.get_by_role("navigation", name="工作台")
    assert await nav.get_by_role("link", name="案件查询").count() == 0
    await nav.get_by_role("link", name="收到的单据").click()
    rows = page.get_by_role("row").filter(has_text="核查单")
    assert await rows.count() == 1
    assert ours["tracking_no"] in await rows.inner_text()
    assert theirs["tracking_no"] not in await page.content()
    await accessible(page)
    await page.get_by_label("核查情况").fill("该生 9 月起在本校就读，学籍已在本校。")
    await page.get_by_role("button", name="反馈核查单 V1").click()
    await page.get_by_role("status").filter(has_text="已反馈").wait_for()
    await accessible(page)
    refused = await page.goto(f"{console.url}/console/cases")
    assert refused is not None and refused.status == 403
    assert "收到的单据" in await page.get_by_role("alert").inner_text()


async def test_a_case_is_found_by_number_and_school_and_the_list_downloaded(
    console: Console,
) -> None:
    system = console.system
    case = await register(system)
    await visible(system, "sjz_handler", case["id"])

    page = await console.page_of("sjz_handler")
    await page.get_by_role("link", name="案件查询").click()
    await page.get_by_label("受理编号").fill(case["tracking_no"])
    await page.get_by_role("button", name="查询案件").click()
    link = page.get_by_role("link", name=case["tracking_no"])
    assert await link.get_attribute("href") == f"/console/cases/{case['id']}"
    await accessible(page)

    await page.get_by_role("link", name="清空条件").click()
    await page.get_by_label("学校", exact=True).fill("长安区第一中学")
    await page.get_by_text("更多条件").click()
    await page.get_by_label("是否超期").select_option(label="未超期")
    await page.get_by_role("button", name="查询案件").click()
    await link.wait_for()
    await accessible(page)
    await screenshot(page, "search")

    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="导出 Excel").click()
    download = await waiting.value
    assert download.suggested_filename.endswith(".xlsx")
    path = await download.path()
    sheet = load_workbook(BytesIO(path.read_bytes())).active
    assert sheet is not None
    values = [cell for row in sheet.values for cell in row if cell is not None]
    assert "长安区第一中学" in values and case["tracking_no"] in values

    await page.get_by_label("投诉内容关键词").fill("学")
    await page.get_by_role("button", name="查询案件").click()
    assert "至少" in await page.get_by_role("alert").inner_text()
    await accessible(page)


async def test_track_on_a_phone_and_the_directory(console: Console) -> None:
    case = await register(console.system)
    await visible(console.system, "sjz_handler", case["id"])
    context = await console.browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    phone = await context.new_page()
    await phone.goto(f"{console.url}/track")
    await phone.get_by_label("受理编号").fill(case["tracking_no"])
    await phone.get_by_label("查询码").fill(case["query_code"])
    await phone.get_by_role("button", name="查询").click()
    await phone.get_by_text("当前环节").wait_for()
    assert "下发核查单" in await phone.get_by_role("table").inner_text()
    assert phone.url == f"{console.url}/track"  # the code was posted: no address holds it
    await fits(phone)
    await accessible(phone)
    await screenshot(phone, "track-mobile")

    await phone.get_by_role("link", name="投诉电话和邮箱").click()
    await fits(phone)
    await accessible(phone)
    await context.close()

    desk = await console.browser.new_context(viewport={"width": 1366, "height": 768})
    page = await desk.new_page()
    response = await page.goto(f"{console.url}/directory")
    assert response is not None
    assert "style-src 'self'" in response.headers["content-security-policy"]
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") != (
        "rgba(0, 0, 0, 0)"
    )  # the stylesheet is allowed and applied
    await accessible(page)
    await screenshot(page, "directory")
    await desk.close()


async def fits(page: Page) -> None:
    """Nothing of the page but a scrolling table is wider than the screen."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
