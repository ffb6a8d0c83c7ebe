"""Request bodies of the staff actions on a case (DESIGN §5)."""

from typing import Annotated

from pydantic import Field, model_validator

from api.schemas.common import Addressee, OptionalText, RequestBody, Text, UnitCode
from domain.process import InformChannel

# Evidence files (附件) an action carries: ids that the upload route answered.
AttachmentIds = Annotated[
    list[Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]],
    Field(max_length=20, description="ids of files uploaded to this case for this action"),
]

# Slips go to bureaus or schools of the handling unit's subtree (DESIGN §7).
Units = Annotated[list[Addressee], Field(min_length=1, max_length=50)]


class VerificationIn(RequestBody):
    addressees: Units = Field(description="related units that must verify (核查)")
    instructions: OptionalText = ""


class OpinionIn(RequestBody):
    opinion: Text
    executing_units: Annotated[list[Addressee], Field(max_length=50)] = Field(
        default_factory=list, description="empty: nothing is to be done"
    )
    attachments: AttachmentIds = Field(default_factory=list)


class ConfirmationIn(RequestBody):
    conclusion: OptionalText = ""


class ReworkIn(RequestBody):
    executing_units: Units
    instructions: OptionalText = ""


class InformingIn(RequestBody):
    """How the complainant was told the outcome (告知投诉人)."""

    channel: InformChannel = Field(
        description="phone 电话, sms 短信 and email 电子邮件 (sent by the system), letter 书面, "
        "in_person 当面"
    )
    message: Text = Field(description="what the complainant was told (or the message sent)")
    reached: bool = Field(True, description="phone only: false records a call that got nobody")
    public_reply: OptionalText = Field(
        "", description="the answer the public tracking page shows; no names, no numbers"
    )
    attachments: AttachmentIds = Field(default_factory=list)

    @model_validator(mode="after")
    def _reply_when_closing(self) -> "InformingIn":
        if self.reached and not self.public_reply.strip():
            raise ValueError("public_reply：请填写在查询页公开的答复（不含姓名）")
        return self


class AssigneeIn(RequestBody):
    """The person in charge (承办人): a username of the unit; a change needs a reason."""

    assignee: Annotated[str, Field(min_length=1, max_length=32)]
    reason: OptionalText = ""


class SlipReturnIn(RequestBody):
    response: Text
    attachments: AttachmentIds = Field(default_factory=list)


class DisputeIn(RequestBody):
    proposed_unit: UnitCode
    reason: OptionalText = ""


class RulingIn(RequestBody):
    handling_unit: UnitCode
    reason: OptionalText = ""


class WithdrawalIn(RequestBody):
    reason: OptionalText = ""
