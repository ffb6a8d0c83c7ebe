"""Request and answer bodies of the complaint endpoints: registration, the case list and
the case, its slips."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.answers import Reply
from api.schemas.common import (
    Email,
    IdCard,
    Name,
    Phone,
    RequestBody,
    SchoolCode,
    StudentNo,
    Text,
    UnitCode,
)
from domain.process import Channel


class ComplainantIn(RequestBody):
    name: Name
    phone: Phone = ""
    email: Email = ""
    id_card: IdCard = ""


class StudentIn(RequestBody):
    name: Name
    id_card: IdCard = ""
    student_no: StudentNo = ""


class NotRepeatIn(RequestBody):
    """Why a complaint that may repeat the cases a 409 listed is registered as new."""

    reason: Annotated[str, Field(min_length=1, max_length=500)]
    matches_key: Annotated[str, Field(min_length=1, max_length=64)]


class ComplaintIn(RequestBody):
    """A complaint as the receiving clerk registers it (受理登记)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "channel": "web",
                    "complainant": {"name": "张晓明", "phone": "138 1234 5678"},
                    "students": [{"name": "张小雨"}],
                    "school_codes": ["2130102001"],
                    "summary": "孩子的学籍被两所学校同时登记",
                }
            ]
        }
    )

    channel: Channel
    complainant: ComplainantIn
    students: list[StudentIn] = Field(default_factory=list, max_length=50)
    school_codes: list[SchoolCode] = Field(default_factory=list, max_length=50)
    unit_codes: list[UnitCode] = Field(default_factory=list, max_length=50)
    summary: Text
    refer_to_hotline: bool = Field(
        False, description="phone calls only: give the caller the handling unit's hotline"
    )
    not_repeat: NotRepeatIn | None = Field(
        None,
        description="register as a new case although it may repeat others: the reason, and the"
        " `matches_key` of the 409 that listed them",
    )

    @model_validator(mode="after")
    def _names_something(self) -> "ComplaintIn":
        if not self.school_codes and not self.unit_codes:
            raise ValueError("请至少填写一个涉及的学校标识码或教育行政部门代码")
        if self.refer_to_hotline and self.channel is not Channel.PHONE:
            raise ValueError("只有来电投诉可以告知下级热线")
        return self


class DeadlineOut(Reply):
    label: str
    unit: str
    due: datetime
    estimated: bool


class ComplaintCreated(BaseModel):
    id: str
    tracking_no: str
    query_code: str = Field(description="give it to the complainant with the tracking number")
    stage: str
    handling_unit: str
    route: list[str]
    first_deadline: DeadlineOut | None
    hotline: str | None = Field(
        None, description="a referred call: the handling unit's hotline, to read out to the caller"
    )


class PersonOut(Reply):
    """A person of the case in full: numbers unmasked (an audited read)."""

    name: str
    phone: str = ""
    email: str = ""
    id_card: str = ""
    student_no: str = ""


class PersonalData(Reply):
    """The complainant and the students in full, for the handling unit's case staff."""

    id: str
    tracking_no: str
    complainant: PersonOut | None
    students: list[PersonOut]


class CasePending(Reply):
    """A complaint the caller's unit registered whose first step the worker has not written yet
    (for a moment, or as long as no worker runs)."""

    id: str
    tracking_no: str
    stage: str = Field(description="always registered (受理)")
    received_at: datetime
    detail: str


class CaseSummary(Reply):
    id: str
    tracking_no: str
    channel: str
    stage: str
    receiving_unit: str
    handling_unit: str
    province: str
    received_at: datetime
    due: datetime | None
    estimated: bool = Field(False, description="due 按预计的节假日安排推算（预计）")
    overdue: bool
    escalation_level: int
    outcome: str
    phone_masked: str
    assignee: str = Field("", description="承办人 (a username); '' not yet assigned")


class CaseList(BaseModel):
    total: int = Field(description="匹配的案件数，最多计到 10,000")
    total_capped: bool = Field(
        False, description="true: more than 10,000 cases match and total is 10,000 (10,000+ 件)"
    )
    offset: int
    limit: int
    items: list[CaseSummary]


class ClockOut(Reply):
    """A working-day clock: a step of the handling unit or a slip's addressee."""

    key: str
    label: str
    unit: str
    started_at: datetime
    due: datetime
    estimated: bool
    status: str
    overdue: bool
    escalation_level: int
    finished_at: datetime | None


class HopOut(Reply):
    from_unit: str
    to_unit: str
    at: datetime


class SlipOut(Reply):
    complaint_id: str
    slip_id: str
    kind: str
    round: int
    issuer: str
    addressee: str
    route: list[str]
    hops: list[HopOut]
    status: str
    sent_at: datetime
    returned_at: datetime | None
    assignee: str = Field("", description="the addressee's 承办人; '' not yet assigned")
    returned_by: str = ""


class SlipDetail(SlipOut):
    instructions: str
    response: str
    clock: ClockOut | None


class TimelineOut(Reply):
    at: datetime
    kind: str
    unit: str
    unit_name: str
    text: str = Field(description="what happened, units named")
    actor: str = Field(description="the username of the staff member who acted; '' the system")
    actor_name: str
    note: str = Field(description="what the actor wrote: a reason, conclusion or message")


class StudentOut(BaseModel):
    name: str
    id_card_masked: str
    student_no_masked: str


class ComplainantOut(BaseModel):
    name: str
    phone_masked: str
    email: str
    id_card_masked: str


class LinkedCaseOut(Reply):
    """A case linked to this one; of a case the caller's unit may not see, only that it
    exists (`seen` false, nothing else)."""

    seen: bool
    id: str | None = None
    tracking_no: str | None = None
    stage: str | None = None
    outcome: str | None = None
    linked_at: datetime


class CaseDetail(CaseSummary):
    complainant: ComplainantOut | None
    students: list[StudentOut]
    summary: str
    school_codes: list[str]
    unit_codes: list[str]
    steps: list[ClockOut]
    slips: list[SlipOut]
    timeline: list[TimelineOut]
    repeats: int = Field(0, description="repeat complaints (重复件) joined to the case")
    links: list[LinkedCaseOut] = Field(default_factory=list, description="linked cases (关联案件)")
