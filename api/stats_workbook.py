"""The oversight report (督办统计) as an Excel workbook: the unit and the period on the first
rows, then every table of the report with the same figures as the JSON and the page."""

from collections.abc import Sequence
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from api import stats
from api.spreadsheet import no_formulas
from domain.workdays import SHANGHAI, beijing_minute

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "督办统计"


def percent(value: float | None) -> str:
    """A rate as people read it: "87.5%", or "—" when there was nothing to count."""
    return "—" if value is None else f"{value * 100:.1f}%"


def days(value: int | None) -> str | int:
    return "—" if value is None else value


def period_text(period: stats.Period) -> str:
    return f"{period.start.isoformat()} 至 {period.end.isoformat()}（{period.days} 天）"


def file_names(found: stats.Report) -> tuple[str, str]:
    span = f"{found.period.start:%Y%m%d}-{found.period.end:%Y%m%d}"
    return f"stats-{found.unit.code}-{span}.xlsx", f"督办统计-{found.unit.name}-{span}.xlsx"


def figure_rows(found: stats.Report) -> list[tuple[str, object, object]]:
    """(what, this period, the period before): the page shows the same rows."""
    now, before = found.figures, found.previous
    return [
        ("受理", now.received, before.received),
        ("办结", now.closed, before.closed),
        ("按时办结", now.closed_on_time, before.closed_on_time),
        ("按时办结率", percent(now.on_time_rate), percent(before.on_time_rate)),
        ("撤回", now.withdrawn, before.withdrawn),
        ("告知热线（转介）", now.referred, before.referred),
        ("返工办结", now.reworked, before.reworked),
        ("返工率", percent(now.rework_rate), percent(before.rework_rate)),
        ("层级争议", now.disputes_raised, before.disputes_raised),
        ("重复件（并入已有案件，不计受理）", now.repeats, before.repeats),
        ("回访", now.followed_up, before.followed_up),
        *(
            (f"回访{this.name}（占比）", _with_share(this), _with_share(that))
            for this, that in zip(now.follow_ups, before.follow_ups, strict=True)
        ),
        ("申请复核", now.reviews_requested, before.reviews_requested),
        ("复核维持原办理结果", now.reviews_upheld, before.reviews_upheld),
        ("复核后重新办理", now.reviews_reopened, before.reviews_reopened),
    ]


def _with_share(row: stats.FollowUpShare) -> str:
    return f"{row.count}（{percent(row.share)}）"


def build_workbook(found: stats.Report, *, exported_by: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append([f"督办统计：{found.unit.name}（{found.unit.code}）及其下级"])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in (
        ("统计期间", period_text(found.period)),
        ("对比期间", period_text(found.previous_period)),
        ("积压截至", beijing_minute(found.as_of)),
        ("导出时间", found.as_of.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")),
        ("导出人", exported_by),
    ):
        sheet.append([label, value])
    _table(sheet, "期间数字", ("项目", "本期", "上期"), figure_rows(found))
    _table(
        sheet,
        "按受理渠道",
        ("渠道", "受理"),
        [(row.name, row.received) for row in found.by_channel],
    )
    _table(
        sheet,
        "按处理单位层级",
        ("层级", "受理", "办结", "按时办结", "按时办结率"),
        [
            (row.name, row.received, row.closed, row.closed_on_time, percent(row.on_time_rate))
            for row in found.by_level
        ],
    )
    rulings = found.rulings
    _table(
        sheet,
        "各环节按时情况（工作日）",
        ("环节", "完成", "按时", "按时率", "用时中位数", "用时90分位"),
        [
            (
                row.name,
                row.done,
                row.on_time,
                percent(row.on_time_rate),
                days(row.median_days),
                days(row.p90_days),
            )
            for row in found.steps
        ]
        + [
            (
                "层级争议裁定",
                rulings.ruled,
                rulings.on_time,
                percent(rulings.on_time_rate),
                days(rulings.median_days),
                days(rulings.p90_days),
            )
        ],
    )
    backlog = found.backlog
    _table(
        sheet,
        f"当前积压（办理中 {backlog.open} 件，超期 {backlog.overdue} 件；按受理后工作日）",
        ("环节", "办理中", *backlog.age_buckets),
        [(row.name, row.open, *row.by_age) for row in backlog.by_stage],
    )
    _table(
        sheet,
        "当前超期（按督办级别）",
        ("督办级别", "案件"),
        [(f"{level} 级", cases) for level, cases in backlog.overdue_by_level],
    )
    _table(
        sheet,
        "下级单位排名（按当前超期件数，再按按时办结率）",
        ("单位", "代码", "受理", "办结", "按时办结率", "办理中", "当前超期"),
        [
            (
                row.name,
                row.code,
                row.received,
                row.closed,
                percent(row.on_time_rate),
                row.open,
                row.overdue,
            )
            for row in found.ranking
        ],
    )
    _table(
        sheet,
        "每周受理与办结",
        ("周（起）", "受理", "办结"),
        [(row.week_start.isoformat(), row.received, row.closed) for row in found.weekly],
    )
    for column, width in zip("ABCDEFGH", (34, 28, 10, 10, 12, 12, 12, 10), strict=True):
        sheet.column_dimensions[column].width = width
    no_formulas(sheet)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _table(
    sheet: Worksheet, title: str, header: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    sheet.append([])
    sheet.append([title])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append(list(header))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
