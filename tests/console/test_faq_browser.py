"""常见问题 in real Chromium: a county's handler writes a question, is told of the empty answer,
previews the entry as the public page shows it, publishes it, finds it on /faq, and withdraws
it. axe-core on every page; screenshots faq-refused, faq-preview, faq-list."""

from playwright.async_api import expect

from tests.support.browser import Console, accessible, phone_screenshot, screenshot

QUESTION = "学籍转出后多久能在新学校注册？"
ANSWER = "转入学校确认后，一般 5 个工作日内完成。\n如有疑问，请拨打本局投诉电话。"


async def test_a_handler_writes_previews_publishes_and_withdraws(console: Console) -> None:
    page = await console.page_of("ca_handler")
    await page.get_by_role("link", name="常见问题").click()
    await expect(page.get_by_text("还没有问答")).to_be_visible()
    await page.get_by_role("link", name="新写问答").click()
    await page.get_by_label("问题 *").fill(QUESTION)
    await page.get_by_role("button", name="预览").click()
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("答案：答案不能为空")
    await expect(page.get_by_label("问题 *")).to_have_value(QUESTION)
    await accessible(page)
    await screenshot(page, "faq-refused")
    await summary.get_by_role("link").click()
    await expect(page.get_by_label("答案 *")).to_be_focused()
    await page.keyboard.type(ANSWER)
    await page.get_by_role("button", name="预览").click()

    preview = page.locator(".public-preview")
    await expect(preview.get_by_role("heading", name=QUESTION)).to_be_visible()
    await expect(preview).to_contain_text("长安区教育局，更新于")
    assert await preview.locator(".answer").evaluate("e => getComputedStyle(e).whiteSpace") == (
        "pre-line"
    )  # its lines broken as the public page breaks them
    await accessible(page)
    await screenshot(page, "faq-preview")
    await page.get_by_role("button", name="发布", exact=True).click()

    row = page.get_by_role("row", name=QUESTION)
    await expect(row).to_contain_text("已发布")
    await accessible(page)
    await screenshot(page, "faq-list")
    await phone_screenshot(page, "faq-list")
    public = await page.context.new_page()
    await public.goto(f"{console.url}/faq?unit=130102")
    await expect(public.get_by_role("heading", name=QUESTION)).to_be_visible()

    await row.get_by_role("button", name=f"撤回：{QUESTION}").click()
    await expect(page.get_by_role("row", name=QUESTION)).to_contain_text("草稿（未公开）")
    await public.reload()
    await expect(public.get_by_role("heading", name=QUESTION)).to_have_count(0)
