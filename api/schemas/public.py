"""Answers anyone may have without logging in: the directory, a complaint's progress, the
health of the service."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.answers import Reply
from api.public_filters import Level


class DirectoryUnit(Reply):
    """An education bureau and where complaints reach it."""

    level: Level = Field(
        description="级别：national 国家级、provincial 省级、prefectural 地市级、county 县级"
    )
    code: str = Field(description="单位代码（6 位行政区划代码）", examples=["130100"])
    name: str = Field(description="单位名称")
    parent_code: str | None = Field(description="上级单位代码；教育部为空")
    province_code: str | None = Field(description="所在省级单位代码；教育部为空")
    complaint_phone: str = Field(description="投诉电话；未公布时为空")
    complaint_email: str = Field(description="投诉邮箱；未公布时为空")
    confirmed_at: datetime | None = Field(description="电话和邮箱最近确认的时间；未确认时为空")


class TrackQuery(BaseModel):
    """A progress look-up: the query code goes in the body, never in the address."""

    tracking_no: str = Field(max_length=40, description="受理编号", examples=["20300304-K7QX3M"])
    code: str = Field(pattern=r"^\d{6}$", description="查询码（登记时告知投诉人的 6 位数字）")


class ReviewQuery(TrackQuery):
    """A review (复核) asked by the complainant: the tracking number, its query code, and why."""

    reason: str = Field(max_length=2000, description="申请理由：对处理结果不满意的原因")


class ReviewReceived(Reply):
    tracking_no: str
    message: str = Field(description="告知申请人的话")


class Progress(Reply):
    tracking_no: str
    stage: str
    stage_name: str
    received_at: datetime
    updated_at: datetime
    due: datetime | None = Field(description="本环节办理期限")
    estimated: bool = Field(
        description="期限按预计的节假日安排推算（该年官方安排尚未发布，发布后自动更正）"
    )
    finished: bool
    outcome: str = Field("", description="closed, referred or withdrawn; '' while open")
    outcome_name: str = ""
    reply: str = Field("", description="the answer staff wrote for the public (办结 only)")


State = Literal["ok", "unreachable"]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    store: State
    temporal: State
