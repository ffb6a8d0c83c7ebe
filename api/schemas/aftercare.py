"""Request bodies of the follow-up (回访) and the review (复核) of a closed case."""

from pydantic import Field

from api.schemas.common import OptionalText, RequestBody, Text
from domain.process import Channel, Satisfaction


class FollowUpIn(RequestBody):
    result: Satisfaction = Field(
        description="satisfied 满意, basically_satisfied 基本满意, not_satisfied 不满意, "
        "not_reached 未联系上"
    )
    note: OptionalText = ""


class ReviewRequestIn(RequestBody):
    """A review the complainant asked for by phone, letter, visit or e-mail (registered by
    staff); the public tracking page has its own form."""

    channel: Channel = Field(description="phone 来电, letter 来信, visit 来访, email 邮件")
    reason: Text = Field(description="why the complainant is not satisfied")


class ReviewIn(RequestBody):
    uphold: bool = Field(description="true: uphold the answer; false: reopen the case")
    reason: Text = Field(description="why upheld, or what the new round must do")
