"""Bodies of repeat complaints (重复件) and links between cases (关联案件)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from api.answers import Reply
from api.schemas.common import OptionalText, RequestBody
from api.schemas.complaints import LinkedCaseOut


class MatchOut(Reply):
    """A case the new complaint may repeat. One the caller's unit may see comes in full; of
    another only that it exists (`seen` false) and the unit above the caller's (`ask_unit`)
    that sees it as well: no tracking number, no unit below the caller's, nothing personal."""

    seen: bool
    id: str | None = None
    tracking_no: str | None = None
    stage: str | None = None
    outcome: str | None = None
    handling_unit: str | None = None
    received_at: datetime | None = None
    answered_at: datetime | None = Field(None, description="when it was closed or referred")
    because: list[str] = Field(
        default_factory=list, description="what matched: phone, id_card, student"
    )
    ask_unit: str | None = Field(None, description="an unseen case: the unit above to ask")


class PossibleRepeats(BaseModel):
    """The 409 of a registration that may repeat cases: join one (POST
    /api/complaints/{id}/repeats) or send the complaint again with `not_repeat` giving a
    reason and this `matches_key`."""

    message: str
    matches: list[MatchOut]
    matches_key: str


class PossibleRepeatsAnswer(BaseModel):
    """The body of that 409."""

    detail: PossibleRepeats


class RepeatJoined(Reply):
    """A complaint joined to a case as its repeat (重复件): give the complainant the case's
    tracking number and query code."""

    repeat_id: str
    case_id: str
    tracking_no: str
    query_code: str = Field(description="the case's; empty when the case has none")
    stage: str
    handling_unit: str
    received_at: datetime


class LinkIn(RequestBody):
    tracking_no: Annotated[str, Field(min_length=1, max_length=40)]
    reason: OptionalText = ""


class LinksOut(Reply):
    linked: bool = Field(description="false when the cases were linked already")
    links: list[LinkedCaseOut]
