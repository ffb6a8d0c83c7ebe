"""SQLModel tables of the store, one module a concern; every change here comes with an Alembic
migration. Import the tables from here (Alembic reads the metadata of them all)."""

from store.models.accounts import (
    AccountRequest,
    LoginFailure,
    LoginGuess,
    PasswordHistory,
    PasswordPolicy,
    PasswordPolicyBase,
    StaffSession,
    StaffUser,
)
from store.models.attachments import Attachment
from store.models.audit import AuditAnchor, AuditRecord
from store.models.calendar import CalendarYear
from store.models.campaigns import Campaign, CampaignUnit
from store.models.cases import (
    Case,
    CaseAccess,
    CaseClock,
    CaseDay,
    CaseMonth,
    CaseSchool,
    CaseSlip,
    CaseStudentName,
    CaseTextToken,
    Intake,
    OutboxRow,
    StepDay,
    TimelineRow,
    TrackGuess,
)
from store.models.columns import AwareDateTime
from store.models.org import (
    Faq,
    OrgImport,
    OrgImportDraft,
    School,
    SchoolBase,
    Unit,
    UnitBase,
)
from store.models.repeats import CaseLink, CaseRepeat

__all__ = [
    "AccountRequest",
    "Attachment",
    "AuditAnchor",
    "AuditRecord",
    "AwareDateTime",
    "CalendarYear",
    "Campaign",
    "CampaignUnit",
    "Case",
    "CaseAccess",
    "CaseClock",
    "CaseDay",
    "CaseLink",
    "CaseMonth",
    "CaseRepeat",
    "CaseSchool",
    "CaseSlip",
    "CaseStudentName",
    "CaseTextToken",
    "Faq",
    "Intake",
    "LoginFailure",
    "LoginGuess",
    "OrgImport",
    "OrgImportDraft",
    "OutboxRow",
    "PasswordHistory",
    "PasswordPolicy",
    "PasswordPolicyBase",
    "School",
    "SchoolBase",
    "StaffSession",
    "StaffUser",
    "StepDay",
    "TimelineRow",
    "TrackGuess",
    "Unit",
    "UnitBase",
]
