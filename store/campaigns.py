"""Personnel-table campaigns in the store: written by the `record_campaign` activity, read by
the API and the workbook.

`apply_campaign_record` is idempotent: the same record applied twice leaves the same rows and
writes no second notification.
"""

from dataclasses import asdict
from datetime import datetime

from sqlmodel import Session, col, or_, select

from domain.records import CampaignRecord, PersonnelEntry, PersonnelReport
from store.cases import add_to_outbox
from store.models import Campaign, CampaignUnit, OutboxRow, Unit
from store.sealing import Sealer


def apply_campaign_record(
    session: Session, record: CampaignRecord, sealer: Sealer, now: datetime
) -> None:
    state = record.state
    campaign = session.get(Campaign, state.campaign_id) or Campaign(
        id=state.campaign_id,
        title=state.title,
        opener_unit=state.opener,
        status=state.status,
        opened_at=state.opened_at,
        due=state.due,
        remind_at=state.remind_at,
    )
    for name in (
        "status",
        "due",
        "remind_at",
        "remind_estimated",
        "reminded_at",
        "alerted_at",
        "closed_at",
    ):
        setattr(campaign, name, getattr(state, name))
    session.add(campaign)
    session.flush()
    for position, status in enumerate(state.units):
        row = session.get(CampaignUnit, (state.campaign_id, status.unit)) or CampaignUnit(
            campaign_id=state.campaign_id, unit_code=status.unit, position=position
        )
        row.submitted_at, row.late, row.corrections = (
            status.submitted_at,
            status.late,
            status.corrections,
        )
        report = record.reports.get(status.unit)
        if report is not None:
            sealer.seal_column(row, "sealed_report", asdict(report))
        session.add(row)
    add_to_outbox(
        session,
        [
            OutboxRow(
                key=f"{state.campaign_id}:{notice.key}",
                case_id=state.campaign_id,
                kind=notice.kind,
                recipient_unit=notice.unit,
                text=notice.text,
                created_at=now,
            )
            for notice in record.notices
        ],
    )
    if record.publish:
        session.flush()
        _publish_contacts(session, state.campaign_id, sealer)
    session.flush()


def _publish_contacts(session: Session, campaign_id: str, sealer: Sealer) -> None:
    """Each reporting unit's public phone and e-mail go into the directory, confirmed on the
    day it reported."""
    for row, report in reports(session, campaign_id, sealer):
        unit = session.get(Unit, row.unit_code)
        if unit is None or report is None:
            continue  # the unit has left the tree, or never reported
        unit.phone, unit.email = report.public_phone, report.public_email
        unit.contact_confirmed_at = row.submitted_at
        session.add(unit)


def reports(
    session: Session, campaign_id: str, sealer: Sealer
) -> list[tuple[CampaignUnit, PersonnelReport | None]]:
    """The campaign's units in the opener's order, each with its report opened (or None)."""
    return [(row, _opened(row, sealer)) for row in units_of(session, campaign_id)]


def units_of(session: Session, campaign_id: str) -> list[CampaignUnit]:
    """The units that must report to the campaign, in the opener's order."""
    return list(
        session.exec(
            select(CampaignUnit)
            .where(CampaignUnit.campaign_id == campaign_id)
            .order_by(col(CampaignUnit.position))
        )
    )


def _opened(row: CampaignUnit, sealer: Sealer) -> PersonnelReport | None:
    if row.sealed_report is None:
        return None
    value = sealer.open_column(row, "sealed_report")
    return PersonnelReport(
        entries=[PersonnelEntry(**entry) for entry in value["entries"]],
        public_phone=value["public_phone"],
        public_email=value["public_email"],
    )


def visible_campaigns(session: Session, unit_code: str) -> list[Campaign]:
    """Campaigns the unit opened or must report to, newest first."""
    reporting = select(CampaignUnit.campaign_id).where(CampaignUnit.unit_code == unit_code)
    return list(
        session.exec(
            select(Campaign)
            .where(or_(Campaign.opener_unit == unit_code, col(Campaign.id).in_(reporting)))
            .order_by(col(Campaign.opened_at).desc(), col(Campaign.id))
        )
    )


def visible_campaign(session: Session, campaign_id: str, unit_code: str) -> Campaign | None:
    """The campaign if the unit opened it or must report to it; None otherwise."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    if campaign.opener_unit == unit_code:
        return campaign
    if session.get(CampaignUnit, (campaign_id, unit_code)) is not None:
        return campaign
    return None
