"""The compiled personnel table as an Excel workbook (openpyxl), built from plain data.

Sheet 1, 内部工作协调人员名单: every person reported, unit by unit in the opener's order.
Sheet 2, 对外受理投诉电话和邮箱: each unit's public complaint phone and e-mail.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from api.spreadsheet import no_formulas
from domain.orgtree import OrgTree, UnknownCodeError
from domain.records import PersonnelReport
from domain.workdays import beijing_minute
from store.campaigns import reports
from store.models import Campaign
from store.sealing import Sealer

STAFF_SHEET = "内部工作协调人员名单"
PUBLIC_SHEET = "对外受理投诉电话和邮箱"
STAFF_HEADER = (
    "序号",
    "报送单位代码",
    "报送单位",
    "姓名",
    "单位（处室）",
    "职务",
    "办公电话",
    "手机",
    "电子邮箱",
)
PUBLIC_HEADER = ("序号", "单位代码", "单位", "对外受理投诉电话", "对外受理投诉邮箱", "报送时间")
_WIDTHS = (6, 14, 24, 10, 28, 14, 18, 16, 28)
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True)
class ReportedUnit:
    code: str
    name: str
    submitted_at: datetime
    report: PersonnelReport


class NotCompiled(ValueError):
    """The campaign is still open: there is no list yet."""


def compiled_workbook(session: Session, campaign: Campaign, sealer: Sealer, tree: OrgTree) -> bytes:
    """The closed campaign's list, units in the opener's order, those that never reported left
    out; NotCompiled while the campaign is open."""
    if campaign.status != "closed" or campaign.closed_at is None:
        raise NotCompiled("报送尚未结束，名单还未汇总")
    units = [
        ReportedUnit(row.unit_code, unit_name(tree, row.unit_code), row.submitted_at, report)
        for row, report in reports(session, campaign.id, sealer)
        if report is not None and row.submitted_at is not None
    ]
    return build_workbook(campaign.title, campaign.closed_at, units)


def unit_name(tree: OrgTree, code: str) -> str:
    """The unit's name, or its code once it has left the tree."""
    try:
        return tree.unit(code).name
    except UnknownCodeError:
        return code


def build_workbook(title: str, closed_at: datetime, units: list[ReportedUnit]) -> bytes:
    """The workbook's bytes. Row 1 is the title, row 2 says when the list was compiled, row 3
    holds the column names; the data start on row 4."""
    book = Workbook()
    staff = book.active
    assert staff is not None
    staff.title = STAFF_SHEET
    rows = [
        (
            unit.code,
            unit.name,
            entry.name,
            entry.workplace,
            entry.position,
            entry.office_phone,
            entry.mobile,
            entry.email,
        )
        for unit in units
        for entry in unit.report.entries
    ]
    _sheet(staff, f"{title}：{STAFF_SHEET}", closed_at, STAFF_HEADER, rows)
    public = book.create_sheet(PUBLIC_SHEET)
    _sheet(
        public,
        f"{title}：{PUBLIC_SHEET}",
        closed_at,
        PUBLIC_HEADER,
        [
            (
                unit.code,
                unit.name,
                unit.report.public_phone,
                unit.report.public_email,
                beijing_minute(unit.submitted_at),
            )
            for unit in units
        ],
    )
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(
    sheet: Worksheet,
    title: str,
    closed_at: datetime,
    header: tuple[str, ...],
    rows: Sequence[tuple[str, ...]],
) -> None:
    """Title, time compiled, column names, then the rows, each numbered (序号) from 1."""
    sheet.append([title])
    sheet.append([f"汇总时间：{beijing_minute(closed_at)}"])
    sheet.append(list(header))
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    last_column = get_column_letter(len(header))
    sheet.merge_cells(f"A1:{last_column}1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.border = _BOX
    # Phone numbers stay text: Excel would drop a landline's leading 0 from a number.
    for line in sheet.iter_rows(min_row=4):
        for cell in line:
            cell.border = _BOX
            cell.number_format = "@"
    no_formulas(sheet)
    for index, width in enumerate(_WIDTHS[: len(header)], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A4"
