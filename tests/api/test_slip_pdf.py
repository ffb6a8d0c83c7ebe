"""Slips as A4 PDF forms: the builder on its own (text, 预计, a page rendered to PNG), and
`GET /api/slips/{id}/{slip}.pdf` over HTTP with the real app, worker and store, read back with
pypdf field by field."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pypdf
import pypdfium2
from PIL import ImageOps

from api.slip_pdf import SlipDocument, StudentLine, content_disposition, embeddable_font, render
from core.temporal import connect
from domain.records import AttachmentRef
from tests.support.demo import CHANG_AN, CITY, QIAO_XI
from tests.support.http_support import COMPLAINT, System, register, visible
from tests.support.waiting import eventually
from workflows.messages.slip import ReturnSlip

# The font the API embeds: Debian's fonts-arphic-uming, which `make test` installs.
FONT = embeddable_font(None)
VOUCHER = b"%PDF-1.4\n" + b"%" * 100 + b"\n%%EOF\n"
ID_CARD, ID_MASKED = "11010519491231002X", "110105********002X"
CITY_NAME, CHANG_AN_NAME = "石家庄市教育局", "长安区教育局"


def render_slip(document: SlipDocument) -> bytes:
    assert FONT is not None, "no TrueType Chinese font: install fonts-arphic-uming (make test does)"
    return render(document, FONT)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def beijing(iso: str) -> str:
    at = datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def open_slip(**changes: Any) -> SlipDocument:
    values: dict[str, Any] = {
        "kind": "verification",
        "slip_id": "V1",
        "round": 1,
        "tracking_no": "20270104ABCDEFG",
        "issuer": f"{CITY} {CITY_NAME}",
        "addressee": f"{CHANG_AN} {CHANG_AN_NAME}",
        "route": [CITY_NAME, CHANG_AN_NAME],
        "sent_at": datetime(2027, 1, 4, 2, 30, tzinfo=UTC),
        "summary": "孩子的学籍被两所学校同时登记",
        "students": [StudentLine("张小雨", ID_MASKED)],
        "instructions": "请核查两校登记情况",
        "due": datetime(2027, 1, 11, 15, 59, 59, tzinfo=UTC),
        "estimated": True,
    }
    return SlipDocument(**{**values, **changes})


def test_the_builder_marks_an_estimated_deadline_and_leaves_blank_lines() -> None:
    text = text_of(render_slip(open_slip()))
    assert "学籍管理投诉核查单" in text
    assert "2027年1月11日 23:59（预计）" in text  # due 15:59:59 UTC is 23:59 in Beijing
    assert "2027年1月4日 10:30" in text
    assert "核查情况\n附件\n无\n填写单位\n填写时间\n" in text  # nothing filled in yet
    exact = text_of(render_slip(open_slip(estimated=False)))
    assert "2027年1月11日 23:59" in exact
    assert "预计" not in exact


def test_the_builder_draws_one_a4_page_that_is_not_blank(tmp_path: Path) -> None:
    pdf = pypdfium2.PdfDocument(render_slip(open_slip(kind="supervision", slip_id="S2", round=2)))
    assert len(pdf) == 1
    width, height = pdf[0].get_size()  # points
    assert (round(width), round(height)) == (595, 842)  # A4: 210 x 297 mm
    image = pdf[0].render(scale=2).to_pil()
    image.save(tmp_path / "slip.png")  # for a human to look at
    ink = ImageOps.invert(image.convert("L")).getbbox()
    assert ink is not None  # something is drawn...
    left, top, right, bottom = ink
    assert right - left > image.width / 2 and bottom - top > image.height / 3  # ...a whole form


def test_the_chinese_font_is_embedded_so_the_page_looks_the_same_everywhere() -> None:
    pdf = render_slip(open_slip())
    fonts = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    chinese = [
        font.get_object()
        for font in fonts.values()
        if "UMing" in str(font.get_object()["/BaseFont"])
    ]
    assert chinese, [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
    for font in chinese:  # a subset of the TrueType file inside the PDF, text extractable
        assert "/FontFile2" in font["/FontDescriptor"].get_object()
        assert "/ToUnicode" in font
    assert not any("STSong" in str(font.get_object()["/BaseFont"]) for font in fonts.values())
    # The title 学籍管理投诉核查单 is drawn (centred, about 18 mm below the top margin) by the
    # embedded glyphs, whatever fonts the machine has.
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil()
    title = ImageOps.invert(image.convert("L")).crop((0, 145, image.width, 195)).getbbox()
    assert title is not None
    left, _, right, _ = title
    assert right - left > image.width / 4 and abs((left + right) / 2 - image.width / 2) < 20


def test_the_file_name_has_numbers_only() -> None:
    disposition = content_disposition(open_slip(kind="supervision", slip_id="S1"))
    assert 'filename="20270104ABCDEFG-S1.pdf"' in disposition
    chinese = disposition.split("filename*=UTF-8''")[1]
    assert unquote(chinese) == "学籍管理投诉督办单-20270104ABCDEFG-S1.pdf"
    assert disposition.isascii()


async def slip_when(system: System, case_id: str, slip_id: str, status: str) -> Any:
    path = f"/api/slips/{case_id}/{slip_id}"

    async def reached() -> bool:
        answer = await system.get("ca_handler", path)
        return answer.status_code == 200 and answer.json()["status"] == status

    await eventually(reached)
    return (await system.get("ca_handler", path)).json()


async def pdf_of(system: System, username: str, case_id: str, slip_id: str) -> str:
    answer = await system.get(username, f"/api/slips/{case_id}/{slip_id}.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    return text_of(answer.content)


async def returned_with(system: System, workflow_id: str) -> list[AttachmentRef]:
    """The files named by the return recorded in the slip workflow's history."""
    client = await connect(system.settings)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    for event in history.events:
        if event.HasField("workflow_execution_update_accepted_event_attributes"):
            accepted = event.workflow_execution_update_accepted_event_attributes
            payloads = accepted.accepted_request.input.args.payloads
            (action,) = await client.data_converter.decode(payloads, [ReturnSlip])
            return list(action.attachments)
    raise AssertionError("no return in the history")


async def test_slips_as_pdf_over_http(system: System) -> None:
    student = {"name": "张小雨", "id_card": ID_CARD}
    created = await register(system, {**COMPLAINT, "students": [student]})
    case_id, tracking_no = created["id"], created["tracking_no"]
    await visible(system, "sjz_handler", case_id)
    verification = {"addressees": [CHANG_AN], "instructions": "请核查两校登记情况"}
    answer = await system.post(
        "sjz_handler", f"/api/complaints/{case_id}/verification", verification
    )
    assert answer.status_code == 200, answer.text

    slip = await slip_when(system, case_id, "V1", "open")
    text = await pdf_of(system, "ca_handler", case_id, "V1")
    assert "核查情况\n附件\n无\n填写单位\n填写时间\n" in text  # not returned: left blank

    # The county attaches the cancellation voucher (注销凭证) to its return.
    voucher = await system.http.post(
        f"/api/complaints/{case_id}/attachments",
        headers=system.as_("ca_handler"),
        files={"file": ("注销凭证.pdf", VOUCHER, "application/pdf")},
        data={"purpose": "slip_return", "slip_id": "V1"},
    )
    assert voucher.status_code == 201, voucher.text
    returned = {"response": "重复登记属实", "attachments": [voucher.json()["id"]]}
    answer = await system.post("ca_handler", f"/api/complaints/{case_id}/slips/V1/return", returned)
    assert answer.status_code == 200, answer.text
    slip = await slip_when(system, case_id, "V1", "returned")
    # The slip's history holds the file's id and hash as the return named it, not the file.
    assert await returned_with(system, f"{case_id}.V1") == [
        AttachmentRef(attachment_id=voucher.json()["id"], sha256=voucher.json()["sha256"])
    ]
    answer = await system.get("sjz_handler", f"/api/slips/{case_id}/V1.pdf")
    assert answer.status_code == 200
    assert f'filename="{tracking_no}-V1.pdf"' in answer.headers["content-disposition"]
    text = text_of(answer.content)
    for expected in (
        "学籍管理投诉核查单",
        "单据编号：V1",
        f"受理编号：{tracking_no}",
        f"签发单位\n{CITY} {CITY_NAME}",
        f"签发时间\n{beijing(slip['sent_at'])}",
        f"接收单位\n{CHANG_AN} {CHANG_AN_NAME}",
        f"办理期限\n{beijing(slip['clock']['due'])}",
        f"传递路线\n{CITY_NAME} → {CHANG_AN_NAME}",
        "投诉内容\n孩子的学籍被两所学校同时登记",
        f"涉及学生\n张小雨 身份证号：{ID_MASKED}",
        "核查事项\n请核查两校登记情况",
        "核查情况\n重复登记属实",
        f"附件\n注销凭证.pdf（0.1 KB，SHA-256 {voucher.json()['sha256'][:12]}）",
        f"填写单位\n{CHANG_AN} {CHANG_AN_NAME}（赵强）",  # and who filled it in
        f"填写时间\n{beijing(slip['returned_at'])}",
        "经办人签字：",
        "单位盖章：",
        "日期： 年 月 日",
    ):
        assert expected in text, expected
    assert ID_CARD not in text
    assert ("预计" in text) == slip["clock"]["estimated"]

    # A county not on the slip's route, and a bad slip number.
    assert (await system.get("qx_handler", f"/api/slips/{case_id}/V1.pdf")).status_code == 404
    assert (await system.get("ca_handler", f"/api/slips/{case_id}/V9.pdf")).status_code == 404
    bad = await system.get("ca_handler", f"/api/slips/{case_id}/X1.pdf")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["path", "slip_id"]

    opinion = {"opinion": "撤销桥西区的重复学籍", "executing_units": [CHANG_AN]}

    async def decided() -> bool:
        path = f"/api/complaints/{case_id}/opinion"
        return (await system.post("sjz_handler", path, opinion)).status_code == 200

    await eventually(decided)  # once the returned slip has moved the case on
    await slip_when(system, case_id, "S1", "open")
    text = await pdf_of(system, "ca_handler", case_id, "S1")
    assert "学籍管理投诉督办单" in text
    assert "单据编号：S1（第1轮）" in text
    assert "办理意见\n撤销桥西区的重复学籍" in text
    assert QIAO_XI not in text  # the other school's county is not on this slip
