"""Request and answer bodies of the campaigns (人员信息报送, 附件3)."""

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from api.answers import Reply
from api.schemas.common import Email, Mobile, Phone, RequestBody, non_blank


class CampaignNew(RequestBody):
    """A campaign: its title, the due date (报送截止日期) and the units that must report."""

    title: Annotated[str, Field(min_length=1, max_length=100), non_blank("标题")]
    due_date: date = Field(description="报送截止日期；当天 23:59 截止")
    units: list[Annotated[str, Field(pattern=r"^\d{6}$")]] = Field(
        min_length=1, max_length=500, description="须报送的下级单位代码"
    )


class EntryIn(RequestBody):
    """One person who handles complaints (附件3 的一行)."""

    name: Annotated[str, Field(min_length=1, max_length=50), non_blank("姓名")]
    workplace: Annotated[str, Field(min_length=1, max_length=100), non_blank("单位（处室）")]
    position: Annotated[str, Field(min_length=1, max_length=50), non_blank("职务")]
    office_phone: Annotated[Phone, non_blank("电话号码")]
    mobile: Mobile
    email: Annotated[Email, non_blank("电子邮箱")]


class ReportIn(RequestBody):
    """What a unit reports: its people, and the phone and e-mail it publishes for complaints."""

    entries: list[EntryIn] = Field(min_length=1, max_length=50)
    public_phone: Annotated[Phone, non_blank("电话号码")]
    public_email: Annotated[Email, non_blank("电子邮箱")]


class UnitStatusOut(Reply):
    unit: str
    unit_name: str
    reported: bool
    submitted_at: datetime | None
    late: bool = Field(description="逾期补报")
    corrections: int


class PlannedUnit(Reply):
    code: str
    name: str


class CampaignPlanOut(Reply):
    """What opening a campaign would do, before it is opened."""

    title: str
    due: datetime = Field(description="报送截止时间（截止日期当天 23:59:59）")
    remind_at: datetime = Field(description="提醒时间：截止前第三个工作日 9:00")
    remind_estimated: bool = Field(
        description="提醒日按预计的节假日安排推算（该年官方安排尚未发布，发布后自动更正）"
    )
    units: list[PlannedUnit]


class CampaignOut(Reply):
    id: str
    title: str
    opener: str
    status: str = Field(description="open 报送中；overdue 已逾期（有单位未报送）；closed 已汇总")
    opened_at: datetime
    due: datetime
    remind_at: datetime
    remind_estimated: bool = Field(
        description="提醒日按预计的节假日安排推算（该年官方安排尚未发布，发布后自动更正）"
    )
    reminded_at: datetime | None = None
    alerted_at: datetime | None = None
    closed_at: datetime | None = None
    units: list[UnitStatusOut]
    missing: list[str] = Field(description="尚未报送的单位代码")


class CampaignDetail(CampaignOut):
    report: ReportIn | None = Field(None, description="本单位报送的信息（报送单位可见）")
