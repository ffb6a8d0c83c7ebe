"""A slip as an A4 PDF form (核查单, 督办单: attachments 1 and 2 of 教基一厅函〔2014〕50号).

Built from plain data (`SlipDocument`), so it is tested without HTTP. The text is set in a
TrueType Chinese font embedded as a subset (AR PL UMing, a Song face, from Debian's
fonts-arphic-uming, or the file XUEJI_PDF_FONT names), so the page looks the same in every
reader. Without such a font it falls back to STSong-Light, a standard Adobe CJK font that is
not embedded: the reader must then supply the glyphs (pdfium on a machine without Chinese fonts
draws the form's lines but not its text).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from domain.workdays import SHANGHAI

log = logging.getLogger(__name__)

STANDARD_FONT = "STSong-Light"
# TrueType Chinese fonts looked for when XUEJI_PDF_FONT is not set, in this order.
EMBEDDABLE_FONTS = (
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),  # fonts-arphic-uming: AR PL UMing CN
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
)
TITLES = {"verification": "学籍管理投诉核查单", "supervision": "学籍管理投诉督办单"}
ATTACHMENTS = {"verification": "附件1", "supervision": "附件2"}
# What the issuer asks, and what the addressee answers, by kind of slip.
ASKED = {"verification": "核查事项", "supervision": "办理意见"}
ANSWERED = {"verification": "核查情况", "supervision": "办理情况"}
PAGE_WIDTH = A4[0] - 40 * mm
LABEL_WIDTH = 28 * mm


@dataclass(frozen=True)
class StudentLine:
    name: str
    id_card_masked: str  # masked already: the full number never reaches the document


@dataclass(frozen=True)
class SlipDocument:
    """Everything printed on one slip; unit names already looked up in the org tree."""

    kind: str  # verification | supervision
    slip_id: str
    round: int
    tracking_no: str  # 受理编号
    issuer: str  # "130100 石家庄市教育局"
    addressee: str
    route: list[str]  # unit names, issuer first
    sent_at: datetime
    summary: str
    instructions: str  # the question (核查事项) or the handling opinion (办理意见)
    due: datetime | None
    estimated: bool
    response: str = ""  # findings or result; "" while open
    returned_at: datetime | None = None
    returned_by: str = ""  # the unit that filled in the response
    students: list[StudentLine] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # evidence files, as `file_line` puts them

    @property
    def title(self) -> str:
        return TITLES[self.kind]


def file_names(document: SlipDocument) -> tuple[str, str]:
    """An ASCII file name and a Chinese one, without personal data: numbers only."""
    plain = f"{document.tracking_no}-{document.slip_id}.pdf"
    return plain, f"{document.title}-{plain}"


def content_disposition(document: SlipDocument) -> str:
    plain, chinese = file_names(document)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(chinese)}"


def file_line(name: str, size: int, sha256: str) -> str:
    """An evidence file (附件) as the slip lists it: name, size and the start of its hash,
    enough to tell a printed copy's file from another."""
    amount = f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.1f} KB"
    return f"{name}（{amount}，SHA-256 {sha256[:12]}）"


def beijing_time(at: datetime | None) -> str:
    """`2026年12月10日 23:59`, in Beijing time; "" for no time."""
    if at is None:
        return ""
    local = at.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def due_text(document: SlipDocument) -> str:
    text = beijing_time(document.due)
    return f"{text}（预计）" if text and document.estimated else text


def embeddable_font(configured: Path | None) -> Path | None:
    """The font file to embed: the configured one, else the first installed of
    EMBEDDABLE_FONTS; None when there is none (the standard font is used)."""
    if configured is not None:
        return configured
    return next((path for path in EMBEDDABLE_FONTS if path.is_file()), None)


def render(document: SlipDocument, font_file: Path | None = None) -> bytes:
    """The slip as a one-page (longer texts flow on) A4 PDF, in the font of `font_file`
    (a .ttf, or a .ttc whose first face is used) or, without one, the standard font."""
    font = _font(font_file)
    buffer = BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{document.title} {document.tracking_no}-{document.slip_id}",
    )
    pdf.build(_story(document, _Type(font)))
    return buffer.getvalue()


@cache
def _font(font_file: Path | None) -> str:
    """Register the font once and return its name."""
    if font_file is None:
        log.warning("no TrueType Chinese font found: slip PDFs use %s, not embedded", STANDARD_FONT)
        pdfmetrics.registerFont(UnicodeCIDFont(STANDARD_FONT))
        return STANDARD_FONT
    name = f"xueji-{font_file.stem}"
    pdfmetrics.registerFont(TTFont(name, str(font_file), subfontIndex=0))
    return name


@dataclass(frozen=True)
class _Type:
    """Paragraphs of the slip, all in one font."""

    font: str

    def style(self, size: float = 10.5, **extra: object) -> ParagraphStyle:
        return ParagraphStyle(
            f"slip-{self.font}-{size}",
            fontName=self.font,
            fontSize=size,
            leading=size * 1.5,
            wordWrap="CJK",
            **extra,
        )

    def text(self, value: str, size: float = 10.5) -> Paragraph:
        escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped.replace("\n", "<br/>"), self.style(size))


def _story(document: SlipDocument, t: _Type) -> list[Flowable]:
    return [
        t.text(ATTACHMENTS[document.kind]),
        Paragraph(document.title, t.style(18, alignment=TA_CENTER, spaceAfter=4 * mm)),
        _numbers(document, t),
        Spacer(1, 2 * mm),
        _form(document, t),
        Spacer(1, 2 * mm),
        _signature(t),
    ]


def _numbers(document: SlipDocument, t: _Type) -> Table:
    """The line above the form: the slip's number and the complaint's tracking number."""
    number = document.slip_id
    if document.kind == "supervision":
        number += f"（第{document.round}轮）"
    table = Table(
        [[t.text(f"单据编号：{number}"), t.text(f"受理编号：{document.tracking_no}")]],
        colWidths=[PAGE_WIDTH / 2] * 2,
    )
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _form(document: SlipDocument, t: _Type) -> Table:
    students = "\n".join(
        f"{s.name}  身份证号：{s.id_card_masked or '无'}" for s in document.students
    )
    answered = document.response or "\n\n\n\n"  # blank lines to write on by hand
    rows = [
        ["签发单位", document.issuer, "签发时间", beijing_time(document.sent_at)],
        ["接收单位", document.addressee, "办理期限", due_text(document)],
        ["传递路线", " → ".join(document.route)],
        ["投诉内容", document.summary],
        ["涉及学生", students or "无"],
        [ASKED[document.kind], document.instructions or "无"],
        [ANSWERED[document.kind], answered],
        ["附件", "\n".join(document.files) or "无"],
        ["填写单位", document.returned_by, "填写时间", beijing_time(document.returned_at)],
    ]
    value_width = (PAGE_WIDTH - 2 * LABEL_WIDTH) / 2
    table = Table(
        [[t.text(cell) for cell in row] for row in rows],
        colWidths=[LABEL_WIDTH, value_width, LABEL_WIDTH, value_width],
    )
    spans = [("SPAN", (1, i), (3, i)) for i, row in enumerate(rows) if len(row) == 2]
    table.setStyle(TableStyle([*_GRID, *spans]))
    return table


_GRID = [
    ("GRID", (0, 0), (-1, -1), 0.75, colors.black),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
    ("BACKGROUND", (2, 0), (2, 1), colors.whitesmoke),
    ("BACKGROUND", (2, -1), (2, -1), colors.whitesmoke),
    ("TOPPADDING", (0, 0), (-1, -1), 5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
]


def _signature(t: _Type) -> Table:
    """Space for the handler's signature and the unit's seal, dated by hand."""
    cells = [
        [t.text("经办人签字："), t.text("单位盖章：")],
        [t.text("日期：        年    月    日"), t.text("日期：        年    月    日")],
    ]
    table = Table(cells, colWidths=[PAGE_WIDTH / 2] * 2, rowHeights=[28 * mm, 10 * mm])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
                ("LINEAFTER", (0, 0), (0, -1), 0.75, colors.black),
                ("VALIGN", (0, 0), (-1, 0), "TOP"),
            ]
        )
    )
    return table
