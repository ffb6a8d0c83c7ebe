"""Request bodies of the staff actions on a case (DESIGN §5)."""

from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.common import OptionalText, Text, UnitCode

Units = Annotated[list[UnitCode], Field(min_length=1, max_length=50)]


class VerificationIn(BaseModel):
    addressees: Units = Field(description="related units that must verify (核查)")
    instructions: OptionalText = ""


class OpinionIn(BaseModel):
    opinion: Text
    executing_units: Annotated[list[UnitCode], Field(max_length=50)] = Field(
        default_factory=list, description="empty: nothing is to be done"
    )


class ConfirmationIn(BaseModel):
    conclusion: OptionalText = ""


class ReworkIn(BaseModel):
    executing_units: Units
    instructions: OptionalText = ""


class InformingIn(BaseModel):
    message: Text


class SlipReturnIn(BaseModel):
    response: Text


class DisputeIn(BaseModel):
    proposed_unit: UnitCode
    reason: OptionalText = ""


class RulingIn(BaseModel):
    handling_unit: UnitCode
    reason: OptionalText = ""


class WithdrawalIn(BaseModel):
    reason: OptionalText = ""
