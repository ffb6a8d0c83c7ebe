"""CampaignWorkflow's input and Updates; its state is `domain.records.CampaignState`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.records import PersonnelReport
from workflows.messages.activities import CampaignPlan


@dataclass(kw_only=True)
class CampaignInput:
    campaign_id: str  # also the workflow id
    title: str
    opener: str  # code of the unit that collects
    province: str  # the opener's province code; "" for the Ministry
    opened_at: datetime
    units: list[str]  # codes of the units that must report
    plan: CampaignPlan


@dataclass(kw_only=True)
class SubmitReport:
    """A unit reports, or corrects its report before the due time."""

    actor_unit: str
    report: PersonnelReport


@dataclass(kw_only=True)
class CloseCampaign:
    actor_unit: str
