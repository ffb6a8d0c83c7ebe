"""The answer of GET /api/status: the system's state (运行状态) for ops."""

from datetime import datetime

from pydantic import BaseModel, Field


class CheckOut(BaseModel):
    name: str = Field(description="检查项：业务数据库、超期案件、待发通知、Temporal、worker")
    ok: bool | None = Field(description="true 正常，false 不可用，null 仅供参考（计数）")
    detail: str = Field(description="说明；不可用时写明原因")


class AlertLink(BaseModel):
    name: str
    url: str = Field(description="Temporal Web UI 中按此条件筛选的运行中案件")


class SystemState(BaseModel):
    checked_at: datetime
    checks: list[CheckOut]
    web_ui: str = Field(description="Temporal Web UI（告警看板）")
    alert_links: list[AlertLink]
