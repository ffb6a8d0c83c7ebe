"""Who may act after informing (回访, 复核), on a case's live state: the service functions
(api/aftercare_service.py) refuse with these, and the case page shows only the forms they allow
(api/case_service.actions_of)."""

from fastapi import HTTPException

from api.security import Staff
from domain.orgtree import OrgTree
from domain.process import Channel
from domain.roles import CASE_ACTORS, CASE_STAFF
from domain.routing import ruling_unit
from workflows.complaint_wording import not_the_reviewing_unit, review_registered_by, wrong_unit
from workflows.messages.complaint import CaseView, Review

# How staff register a review the complainant asked for; the tracking page's is "web".
STAFF_REVIEW_CHANNELS = (Channel.PHONE, Channel.LETTER, Channel.VISIT, Channel.EMAIL)


def follow_up_refusal(staff: Staff, view: CaseView, _: str = "") -> HTTPException | None:
    if staff.role not in CASE_ACTORS or staff.unit_code != view.handling_unit:
        return HTTPException(403, detail=wrong_unit(view.handling_unit, staff.unit_code))
    return None


def reviewing_unit(tree: OrgTree, view: CaseView) -> str:
    """The unit that reviews the case: the unit above its handling unit, the Ministry for its
    own (known before the case closes, so that who may act never depends on the step)."""
    return view.reviewing_unit or ruling_unit(tree, [view.handling_unit]).code


def review_request_refusal(staff: Staff, view: CaseView, reviewing: str) -> HTTPException | None:
    """Staff of the handling unit or of the reviewing unit register a review asked by phone,
    letter, visit or e-mail."""
    if staff.role not in CASE_STAFF or staff.unit_code not in (view.handling_unit, reviewing):
        return HTTPException(403, detail=review_registered_by(view.handling_unit, reviewing))
    return None


def review_refusal(staff: Staff, view: CaseView, reviewing: str) -> HTTPException | None:
    """The handler or leader of the reviewing unit decides the review."""
    if staff.role not in CASE_ACTORS or staff.unit_code != reviewing:
        return HTTPException(403, detail=not_the_reviewing_unit(reviewing))
    return None


def open_review(view: CaseView) -> Review | None:
    return next((r for r in view.reviews if r.decided_at is None), None)
