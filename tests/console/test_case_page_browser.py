"""The case page in real Chromium: a case carried from the verification slips to its closing
by the city and a county each from their own page, a dispute ruled by the province, refusals
shown beside their form, and one browser seeing another's action without reloading; axe on
each state, screenshots for a reviewer."""

from pathlib import Path

from playwright.async_api import Page, expect

from store.cases import timeline
from store.db import engine_for, session_scope
from store.models import CaseSlip
from store.sealing import Sealer
from tests.support.browser import Console, accessible, screenshot
from tests.support.case_support import registered_only
from tests.support.demo import CHANG_AN, PROVINCE
from tests.support.http_support import COMPLAINT, register, visible

VOUCHER = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a7e5a1b40000000049454e44ae426082"
)
REFRESH_MS = 30_000  # the page refreshes every 10 seconds; leave room for a busy machine


async def open_case(console: Console, username: str, complaint_id: str) -> Page:
    page = await console.page_of(username)
    await page.goto(f"{console.url}/console/cases/{complaint_id}")
    return page


async def stage_shown(page: Page, stage: str) -> None:
    summary = page.locator("#summary-title + dl")
    await expect(summary).to_contain_text(stage, timeout=REFRESH_MS)


async def test_the_city_and_a_county_carry_a_case_to_its_closing(console: Console) -> None:
    created = await register(console.system)
    case_id = created["id"]
    await visible(console.system, "sjz_handler", case_id)

    city = await open_case(console, "sjz_handler", case_id)
    await stage_shown(city, "下发核查单")
    await accessible(city)
    await screenshot(city, "case-open")
    assert await city.get_by_role("button", name="反馈核查单").count() == 0

    await city.get_by_role("button", name="由我承办").click()
    await expect(city.locator("#summary-title + dl")).to_contain_text("李明（sjz_handler）")
    await city.get_by_label("长安区教育局").check()
    await city.get_by_label("核查要求（可不填）").fill("请核查长安区的学籍登记")
    await city.get_by_role("button", name="下发核查单").click()
    await expect(city.get_by_role("status")).to_contain_text("已下发核查单")
    await stage_shown(city, "核查中")
    await expect(city.get_by_role("list", name="V1 的传递路线")).to_contain_text(
        "长安区教育局", timeout=REFRESH_MS
    )
    await accessible(city)
    await screenshot(city, "case-verification")
    # The issuing is entered at the moment the slip was sent, so the timeline shows it before
    # the slip's way down (which the slip's workflow records meanwhile, on real time here).
    engine = engine_for(console.system.settings)
    with session_scope(engine) as session:
        issuing = next(row for row in timeline(session, case_id) if row.kind == "verification")
        issued_at, sent_at = issuing.at, session.get_one(CaseSlip, (case_id, "V1")).sent_at
    engine.dispose()
    assert issued_at == sent_at

    # The county returns its slip from the case page; the city's open page shows it by itself.
    await visible(console.system, "ca_handler", case_id)
    county = await open_case(console, "ca_handler", case_id)
    assert await county.get_by_role("button", name="下发核查单").count() == 0
    await county.get_by_label("核查情况").fill("长安区已核查，确有重复登记")
    await county.get_by_role("button", name="反馈核查单").click()
    await expect(county.get_by_role("status")).to_contain_text("已反馈单据 V1")
    await accessible(county)
    await expect(city.locator("#case-live")).to_contain_text("已反馈", timeout=REFRESH_MS)
    await expect(city.locator("#case-live")).to_contain_text("本案有新的进展")

    await city.reload()
    await city.get_by_label("办理意见").fill("注销长安区的重复学籍")
    await city.get_by_label("长安区教育局").check()
    await city.get_by_role("button", name="确定办理意见").click()
    await stage_shown(city, "督办落实")

    await county.reload()
    await county.get_by_label("办理结果").fill("已注销")
    await county.get_by_role("button", name="反馈督办单").click()
    await city.reload()
    await stage_shown(city, "确认处理结果")
    await accessible(city)
    rework = city.locator("#action-rework")
    await rework.get_by_label("长安区教育局").check()
    await rework.get_by_label("重办要求").fill("请附注销凭证")
    await rework.get_by_role("button", name="退回重办").click()
    await stage_shown(city, "督办落实")

    # The county uploads the cancellation voucher (注销凭证) and returns it with the slip.
    await county.reload()
    await county.get_by_label("附于").select_option(label="反馈单据 S2")
    await county.locator("#files-file").set_input_files(
        files=[{"name": "注销凭证.png", "mimeType": "image/png", "buffer": VOUCHER}]
    )
    await county.get_by_role("button", name="上传附件").click()
    await expect(county.get_by_role("status")).to_contain_text("已上传附件")
    await expect(county.get_by_role("checkbox", name="注销凭证.png")).to_be_checked()
    await county.get_by_label("办理结果").fill("凭证已附")
    await county.get_by_role("button", name="反馈督办单").click()
    # 收到的单据 links the file on the slip's row, for the county the slip is addressed to.
    await county.goto(f"{console.url}/console/slips")
    row = county.locator(f"#slip-{case_id}-S2")
    await expect(row.get_by_role("link", name="注销凭证.png")).to_be_visible()
    await accessible(county)
    await screenshot(county, "slips-files")
    await city.reload()
    await stage_shown(city, "确认处理结果")
    await accessible(city)
    await screenshot(city, "case-files")
    async with city.expect_download() as downloading:
        await city.get_by_role("link", name="注销凭证.png").click()
    download = await downloading.value
    assert download.suggested_filename == "注销凭证.png"
    assert Path(await download.path()).read_bytes() == VOUCHER
    await city.get_by_label("确认意见（可不填）").fill("凭证齐全，属实")
    await city.get_by_role("button", name="确认处理结果").click()
    await stage_shown(city, "告知投诉人")
    await accessible(city)

    await city.get_by_label("告知方式").select_option(label="电话")
    await city.get_by_label("告知内容").fill("已电话告知投诉人：重复学籍已注销")
    await city.get_by_label("公开答复").fill("重复学籍已注销")
    await city.get_by_role("button", name="记录告知").click()
    await stage_shown(city, "办结")
    # Closed, the case waits for the follow-up call (回访), the one action left to the city.
    await expect(city.locator(".case-actions")).to_contain_text("回访投诉人")
    await expect(city.locator(".timeline")).to_contain_text("已电话告知投诉人：重复学籍已注销")
    await accessible(city)
    await screenshot(city, "case-closed")


async def test_a_dispute_of_the_city_is_ruled_by_the_province_alone(console: Console) -> None:
    created = await register(console.system)
    case_id = created["id"]
    await visible(console.system, "sjz_handler", case_id)

    city = await open_case(console, "sjz_handler", case_id)
    await city.get_by_label("建议处理单位").select_option(label="长安区教育局")
    await city.get_by_label("理由", exact=True).fill("学校在长安区，宜由区县处理")
    await city.get_by_role("button", name="提出层级争议").click()
    await expect(city.get_by_role("status")).to_contain_text("已提交，稍后生效")
    await stage_shown(city, "处理层级争议待裁定")
    await accessible(city)

    leader = await open_case(console, "sjz_leader", case_id)
    await stage_shown(leader, "处理层级争议待裁定")
    assert await leader.get_by_role("button", name="作出裁定").count() == 0
    await accessible(leader)

    province = await open_case(console, "hb_leader", case_id)
    await province.get_by_label("裁定处理单位").select_option(label="石家庄市教育局")
    await province.get_by_label("裁定理由").fill("涉及两区，由市统筹")
    await province.get_by_label("我已核对以上内容").check()
    await accessible(province)
    await province.get_by_role("button", name="作出裁定").click()
    await expect(province.get_by_role("status")).to_contain_text("已提交，稍后生效")
    await stage_shown(province, "下发核查单")
    await expect(province.locator(".timeline")).to_contain_text("涉及两区，由市统筹")
    await stage_shown(city, "下发核查单")  # the city's page, by its own refresh


async def test_a_refused_action_says_why_and_changes_nothing(console: Console) -> None:
    no_email = {**COMPLAINT, "complainant": {"name": "张晓明", "phone": "138 1234 5678"}}
    created = await register(console.system, no_email)
    case_id = created["id"]
    system = console.system
    await visible(system, "sjz_handler", case_id)

    leader = await open_case(console, "sjz_leader", case_id)
    for _ in range(2):  # the same person twice: the second is refused
        await leader.get_by_label("指定承办人").select_option(label="李明（sjz_handler）")
        await leader.get_by_role("button", name="指定承办人").click()
    await expect(leader.get_by_role("alert")).to_contain_text("承办人：本案承办人已是 sjz_handler")
    await accessible(leader)

    path = f"/api/complaints/{case_id}"
    for username, action, body in [
        ("sjz_handler", "/verification", {"addressees": [CHANG_AN]}),
        ("ca_handler", "/slips/V1/return", {"response": "已核查"}),
        ("sjz_handler", "/opinion", {"opinion": "学校已自行纠正，无需再办"}),
    ]:
        await visible(system, username, case_id)
        answer = await system.post(username, path + action, body)
        assert answer.status_code == 200, answer.text

    city = await open_case(console, "sjz_handler", case_id)
    await stage_shown(city, "告知投诉人")
    await city.get_by_label("告知方式").select_option(label="电子邮件")
    await city.get_by_label("告知内容").fill("处理结果见附件")
    await city.get_by_label("公开答复").fill("已处理")
    await city.get_by_role("button", name="记录告知").click()
    summary = city.get_by_role("alert")
    await expect(summary).to_contain_text("告知方式：投诉人未留电子邮箱，不能以电子邮件告知")
    await expect(city.locator("#informing-error")).to_be_visible()
    await expect(city.get_by_label("告知内容")).to_have_value("处理结果见附件")  # kept
    await stage_shown(city, "告知投诉人")
    await accessible(city)
    await screenshot(city, "case-refused")


async def test_a_school_the_complaint_does_not_name_is_found_as_one_types(
    console: Console,
) -> None:
    created = await register(console.system)
    case_id = created["id"]
    await visible(console.system, "sjz_handler", case_id)
    city = await open_case(console, "sjz_handler", case_id)
    form = city.locator("#action-verification")
    await form.get_by_label("核查要求（可不填）").fill("请核查两所学校")  # typed first: kept

    await form.get_by_label("查找其他单位或学校").fill("长安区第二")
    await form.get_by_label("长安区第二中学（长安区教育局）").check()
    await form.get_by_label("查找其他单位或学校").fill("实验小学")
    await expect(form.get_by_label("长安区实验小学（长安区教育局）")).to_be_visible()
    await expect(form.get_by_label("长安区第二中学（长安区教育局）")).to_be_checked()
    await form.get_by_label("石家庄市桥西区第一中学").check()
    await accessible(city)
    await screenshot(city, "case-picker-search")
    assert city.url.endswith(case_id)  # searched in place: the page was never left
    await expect(form.get_by_label("核查要求（可不填）")).to_have_value("请核查两所学校")

    await form.get_by_role("button", name="下发核查单").click()
    await expect(city.get_by_role("status")).to_contain_text("已下发核查单")
    await expect(city.locator("#case-live")).to_contain_text("长安区第二中学", timeout=REFRESH_MS)


async def test_the_full_numbers_a_case_being_set_up_and_a_bad_address(console: Console) -> None:
    system = console.system
    created = await register(system)
    case_id = created["id"]
    await visible(system, "sjz_handler", case_id)
    city = await open_case(console, "sjz_handler", case_id)
    await city.get_by_role("link", name="查看完整的电话和证件号码").click()
    await expect(city.get_by_role("heading", level=1)).to_contain_text("的个人信息")
    await expect(city.locator("main")).to_contain_text("13812345678")
    await accessible(city)
    await screenshot(city, "case-personal")

    engine = engine_for(system.settings)
    sealer = Sealer(system.settings.store_keys)  # registered, its workflow not written yet
    ticket = registered_only(engine, sealer, by="hb_clerk", unit=PROVINCE, now=system.now())
    engine.dispose()
    province = await console.page_of("hb_clerk")
    await province.goto(f"{console.url}/console/cases/{ticket.complaint_id}")
    await expect(province.get_by_role("status")).to_contain_text("办理流程正在建立")
    await accessible(province)

    await province.goto(f"{console.url}/console/slips/{case_id}/X9.pdf")
    await expect(province.get_by_role("alert")).to_contain_text("地址中的 slip_id：格式不正确")
    await accessible(province)
