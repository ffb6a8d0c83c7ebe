"""The oversight page's two charts as geometry for a server-drawn SVG (no script, nothing
loaded from outside): cases received and closed per week, and 按时办结率 per unit. The page
puts a table with the same figures beside each; the template draws the shapes."""

import math
from dataclasses import dataclass

from api import stats
from api.stats_workbook import percent

WIDTH = 640
PLOT_TOP, PLOT_BOTTOM, PLOT_LEFT = 16, 170, 44
HEIGHT = 215
MAX_LABELS = 14  # week labels under the bars; more weeks label every n-th


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # the CSS class: "received", "closed", "rate"
    label: str  # what the bar stands for, for the SVG's <title>


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    texts: list[Text]
    gridlines: list[float]  # y of each horizontal line


def weekly(rows: list[stats.WeekRow]) -> Chart:
    """Two bars a week, received then closed, on a scale from 0 to the largest count."""
    top = max([1, *(max(row.received, row.closed) for row in rows)])
    span = PLOT_BOTTOM - PLOT_TOP
    slot = (WIDTH - PLOT_LEFT - 8) / max(len(rows), 1)
    bar = min(slot * 0.35, 28.0)
    bars: list[Bar] = []
    texts = [
        Text(PLOT_LEFT - 6, PLOT_BOTTOM + 4, "0", "end"),
        Text(PLOT_LEFT - 6, PLOT_TOP + 4, str(top), "end"),
    ]
    every = math.ceil(len(rows) / MAX_LABELS) if rows else 1  # a long period: fewer labels
    for index, row in enumerate(rows):
        middle = PLOT_LEFT + slot * index + slot / 2
        week = f"{row.week_start:%m-%d} 起的一周"
        for offset, kind, value, name in (
            (-bar, "received", row.received, "受理"),
            (0.0, "closed", row.closed, "办结"),
        ):
            height = span * value / top
            bars.append(
                Bar(
                    middle + offset,
                    PLOT_BOTTOM - height,
                    bar,
                    height,
                    kind,
                    f"{week}{name} {value} 件",
                )
            )
            if every == 1:
                texts.append(Text(middle + offset + bar / 2, PLOT_BOTTOM - height - 3, str(value)))
        if index % every == 0:
            texts.append(Text(middle, PLOT_BOTTOM + 18, f"{row.week_start:%m-%d}"))
    return Chart(WIDTH, HEIGHT, bars, texts, [PLOT_TOP, PLOT_BOTTOM])


ROW_HEIGHT = 26
NAME_WIDTH = 210


def on_time_by_unit(rows: list[stats.RankRow]) -> Chart:
    """One horizontal bar a unit that closed cases in the period, its 按时办结率 from 0 to 100
    per cent (a unit that closed nothing has no rate: the table beside says so)."""
    full = WIDTH - NAME_WIDTH - 70
    bars: list[Bar] = []
    texts: list[Text] = []
    rated = [row for row in rows if row.on_time_rate is not None]
    for index, row in enumerate(rated):
        assert row.on_time_rate is not None
        y = 8 + index * ROW_HEIGHT
        texts.append(Text(NAME_WIDTH - 8, y + 15, row.name, "end"))
        width = full * row.on_time_rate
        label = f"{row.name}按时办结率 {percent(row.on_time_rate)}"
        bars.append(Bar(NAME_WIDTH, y + 3, width, ROW_HEIGHT - 8, "rate", label))
        texts.append(Text(NAME_WIDTH + width + 6, y + 15, percent(row.on_time_rate), "start"))
    if not rated:
        texts.append(Text(WIDTH / 2, 24, "期间内各单位都没有办结的案件", "middle"))
    height = 16 + max(len(rated), 1) * ROW_HEIGHT
    return Chart(WIDTH, height, bars, texts, [])
