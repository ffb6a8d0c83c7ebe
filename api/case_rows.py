"""A case list's rows as people read them: names for unit codes and usernames, Chinese for
steps, channels and outcomes. The console's search and its workbook show the same rows."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.case_names import Names
from api.schemas.complaints import CaseSummary
from domain.process import STAGE_NAMES, Channel, Stage
from domain.records import Outcome

CHANNEL_NAMES = {
    Channel.PHONE: "来电",
    Channel.WEB: "网上",
    Channel.EMAIL: "邮件",
    Channel.LETTER: "来信",
    Channel.VISIT: "来访",
}
SHORT_OUTCOMES = {
    Outcome.CLOSED: "已办结",
    Outcome.REFERRED: "已告知热线",
    Outcome.WITHDRAWN: "已撤回",
}


@dataclass(frozen=True)
class CaseRow:
    complaint_id: str
    tracking_no: str
    received_at: datetime
    channel_name: str
    stage_name: str
    handling_unit_name: str
    due: datetime | None
    estimated: bool
    overdue: bool
    escalation_level: int
    assignee_name: str
    outcome_name: str  # "" while the case is being handled


def case_rows(session: Session, items: list[CaseSummary]) -> list[CaseRow]:
    names = Names(session)
    return [
        CaseRow(
            complaint_id=item.id,
            tracking_no=item.tracking_no,
            received_at=item.received_at,
            channel_name=_named(CHANNEL_NAMES, Channel, item.channel),
            stage_name=_named(STAGE_NAMES, Stage, item.stage),
            handling_unit_name=names.unit(item.handling_unit),
            due=item.due,
            estimated=item.estimated,
            overdue=item.overdue,
            escalation_level=item.escalation_level,
            assignee_name=names.person(item.assignee),
            outcome_name=_named(SHORT_OUTCOMES, Outcome, item.outcome) if item.outcome else "",
        )
        for item in items
    ]


def _named(names: Mapping[Any, str], kind: Callable[[str], Any], value: str) -> str:
    """The Chinese name of a stored value; the value itself when it is not (or no longer) one
    of `kind`."""
    try:
        return str(names.get(kind(value), value))
    except ValueError:
        return value
