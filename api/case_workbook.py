"""The console's case search as an Excel workbook: who exported it and when, the filters
used, one per row, then the cases as the search shows them."""

from collections.abc import Sequence
from datetime import datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from api.case_rows import CaseRow
from api.spreadsheet import no_formulas
from domain.workdays import beijing_minute

SHEET = "案件查询结果"
HEADER = (
    "序号",
    "受理编号",
    "受理时间",
    "受理渠道",
    "当前环节",
    "处理单位",
    "办理期限",
    "是否超期",
    "督办级别",
    "承办人",
    "办理结果",
)
MAX_ROWS = 5000  # newest first; beyond that the search must be narrowed
_WIDTHS = (6, 22, 18, 10, 18, 24, 22, 10, 10, 20, 14)


def build_workbook(
    *,
    rows: Sequence[CaseRow],
    filters: Sequence[tuple[str, str]],
    total: int,
    total_capped: bool = False,
    exported_at: datetime,
    exported_by: str,
) -> bytes:
    """The workbook's bytes: the title, when and by whom, each filter (label, value), the
    count, a blank row, the column names, then the cases."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(["学籍投诉案件查询结果"])
    sheet.append(["导出时间", beijing_minute(exported_at)])
    sheet.append(["导出人", exported_by])
    for label, value in filters or [("查询条件", "无（本单位可见的全部案件）")]:
        sheet.append([label, value])
    count = f"{total:,}+ 件" if total_capped else f"{total} 件"
    count += f"（本表为最新的 {len(rows)} 件）" if total > len(rows) else ""
    sheet.append(["共计", count])
    sheet.append([])
    sheet.append(list(HEADER))
    header_row = sheet.max_row
    for number, row in enumerate(rows, start=1):
        due = beijing_minute(row.due) if row.due else ""
        sheet.append(
            [
                number,
                row.tracking_no,
                beijing_minute(row.received_at),
                row.channel_name,
                row.stage_name,
                row.handling_unit_name,
                due + ("（预计）" if due and row.estimated else ""),
                "超期" if row.overdue else "",
                row.escalation_level or "",
                row.assignee_name or "未指定",
                row.outcome_name or "办理中",
            ]
        )
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for index in range(2, header_row):
        sheet.cell(index, 1).font = Font(bold=True)
    no_formulas(sheet)
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    out = BytesIO()
    book.save(out)
    return out.getvalue()
