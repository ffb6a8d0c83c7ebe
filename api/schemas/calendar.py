"""Answers of /api/calendar: the years, the preview of a year's load (what would move) and
the re-timing of running cases after a load."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

YearSource = Literal["loaded", "package", "file", "rules"]


class YearRow(BaseModel):
    """One year as the calendar has it: official or estimated, and where its data comes from."""

    year: int
    status: Literal["official", "estimated"]
    source: YearSource = Field(
        description="loaded: 管理员载入；package: 随软件提供；file: 覆盖文件；rules: 按规则预计"
    )
    notice: str = Field("", description="载入的文件所注的来源，如国办发明电")
    loaded_at: datetime | None = None
    loaded_by: str = ""
    weekday_holidays: int
    weekend_workdays: int


class MovedDeadline(BaseModel):
    """A running deadline of a case (a step or a slip) that the load would move."""

    complaint_id: str
    tracking_no: str
    step: str = Field(description="环节，如 下发核查单")
    unit: str = Field(description="须办理的单位代码")
    old_due: datetime
    new_due: datetime
    working_days: int = Field(description="推迟（正）或提前（负）的工作日数，按现行安排计")
    calendar_days: int
    overdue_now: bool = Field(description="按现在的期限已经超期")
    overdue_after: bool = Field(description="按新的期限超期")


class MovedReminder(BaseModel):
    """A campaign's reminder to units not yet reported that the load would move (its due date
    is a date and never moves)."""

    campaign_id: str
    title: str
    due: datetime
    old_remind_at: datetime
    new_remind_at: datetime
    working_days: int
    calendar_days: int


class YearPreview(BaseModel):
    """What loading the year would change, before it is loaded (dry run): nothing is saved."""

    year: int
    holidays: int
    workdays: int
    checked: int = Field(description="看过的运行中的期限数（起止与该年相交的）")
    deadlines: list[MovedDeadline]
    reminders: list[MovedReminder]
    estimates_ended: int = Field(description="期限不变、只是不再是预计的")


class Retiming(BaseModel):
    """How the re-timing of the running cases went. Today it is done inside the load's request
    (`state` done); a durable re-timing operation will report `running` with the counts so
    far."""

    state: Literal["done", "running"] = "done"
    signalled: int = Field(description="已通知重新计算期限的案件与报送活动数")
    closed: int = Field(0, description="通知前已结束的，无须重新计算")
    failed: list[str] = Field(default_factory=list, description="未能通知的流程编号")
    finished_at: datetime | None = None


class YearLoaded(BaseModel):
    year: int
    holidays: int
    workdays: int
    cases_retimed: int = Field(description="同 retiming.signalled")
    retiming: Retiming
