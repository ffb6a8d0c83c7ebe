"""Personnel-table campaigns (附件3) and the units asked to report."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from store.models.columns import at_

# ---------------------------------------------------------------- personnel-table campaigns
# Written only by the `record_campaign` activity (idempotent upserts). The people a unit
# reports (names, phones) sit only in `sealed_report`, encrypted (store/sealing).


class Campaign(SQLModel, table=True):
    """A collection of the personnel table (附件3) from a set of units."""

    __tablename__ = "campaign"
    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=100)
    opener_unit: str = Field(max_length=6, index=True)
    status: str = Field(max_length=16)  # open | overdue | closed
    opened_at: datetime = at_()
    due: datetime = at_()
    remind_at: datetime = at_()
    remind_estimated: bool = False  # the reminder day lies in an estimated calendar year
    reminded_at: datetime | None = at_(nullable=True)
    alerted_at: datetime | None = at_(nullable=True)
    closed_at: datetime | None = at_(nullable=True)


class CampaignUnit(SQLModel, table=True):
    """A unit that must report to a campaign, and what it reported."""

    __tablename__ = "campaign_unit"
    campaign_id: str = Field(primary_key=True, foreign_key="campaign.id", max_length=64)
    unit_code: str = Field(primary_key=True, max_length=6, index=True)
    position: int  # the order the opener listed the units in
    submitted_at: datetime | None = at_(nullable=True)
    late: bool = False
    corrections: int = 0
    sealed_report: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
