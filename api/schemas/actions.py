"""Request bodies of the staff actions on a case (DESIGN §5)."""

from typing import Annotated

from pydantic import Field

from api.schemas.common import Addressee, OptionalText, RequestBody, Text, UnitCode

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


class ConfirmationIn(RequestBody):
    conclusion: OptionalText = ""


class ReworkIn(RequestBody):
    executing_units: Units
    instructions: OptionalText = ""


class InformingIn(RequestBody):
    message: Text


class SlipReturnIn(RequestBody):
    response: Text


class DisputeIn(RequestBody):
    proposed_unit: UnitCode
    reason: OptionalText = ""


class RulingIn(RequestBody):
    handling_unit: UnitCode
    reason: OptionalText = ""


class WithdrawalIn(RequestBody):
    reason: OptionalText = ""
