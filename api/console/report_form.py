"""The personnel table (人员信息表, 附件3) as the console's form posts it: its rows of people, the
unit's public phone and e-mail, the ReportIn they make (validated by the same schema as the
JSON route), and each refusal placed next to the control it is about."""

from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData

from api.console.registration_form import Errors, FormRefused, form_reason, validated
from api.schemas.campaigns import ReportIn
from api.schemas.common import Mobile, Phone

MAX_ENTRIES = 50  # as ReportIn takes
COLUMNS = ("name", "workplace", "position", "office_phone", "mobile", "email")
# Fields whose number is checked as it is typed (POST …/check/{name}).
PHONE_FIELDS: dict[str, TypeAdapter[str]] = {
    "office_phone": TypeAdapter(Phone),
    "mobile": TypeAdapter(Mobile),
    "public_phone": TypeAdapter(Phone),
}


@dataclass
class EntryRow:
    name: str = ""
    workplace: str = ""
    position: str = ""
    office_phone: str = ""
    mobile: str = ""
    email: str = ""

    @property
    def blank(self) -> bool:
        return not any(getattr(self, column).strip() for column in COLUMNS)


@dataclass
class ReportForm:
    """What the unit has typed, as typed (shown again on every round trip)."""

    entries: list[EntryRow] = field(default_factory=list)
    public_phone: str = ""
    public_email: str = ""

    @classmethod
    def of_report(cls, report: ReportIn | None) -> "ReportForm":
        """The form filled with the unit's report (empty when it has not reported)."""
        if report is None:
            return cls()
        return cls(
            entries=[EntryRow(**entry.model_dump()) for entry in report.entries],
            public_phone=report.public_phone,
            public_email=report.public_email,
        )

    @classmethod
    def posted(cls, form: FormData) -> "ReportForm":
        columns = [[v for v in form.getlist(c) if isinstance(v, str)] for c in COLUMNS]
        count = min(max(len(column) for column in columns), MAX_ENTRIES + 1)
        rows = [
            EntryRow(*(column[row] if row < len(column) else "" for column in columns))
            for row in range(count)
        ]

        def text(name: str) -> str:
            value = form.get(name, "")
            return value if isinstance(value, str) else ""

        return cls(rows, text("public_phone"), text("public_email"))

    def rows(self, *, add: bool = False, remove: int | None = None) -> list[EntryRow]:
        """The rows to show: those typed (less the one removed), one more when asked, and
        always at least one."""
        shown = [row for index, row in enumerate(self.entries) if index != remove]
        if add or not shown:
            shown.append(EntryRow())
        return shown[:MAX_ENTRIES]

    def filled(self) -> list[tuple[int, EntryRow]]:
        return [(index, row) for index, row in enumerate(self.entries) if not row.blank]

    def report(self) -> ReportIn:
        """The report the form makes; raises FormRefused with each control's reasons."""
        filled = self.filled()
        body = {
            "entries": [
                {column: getattr(row, column).strip() for column in COLUMNS} for _, row in filled
            ],
            "public_phone": self.public_phone,
            "public_email": self.public_email,
        }
        return validated(ReportIn, body, self.control_of)

    def control_of(self, location: tuple[Any, ...] | list[Any]) -> str:
        """The id of the control a refusal at `location` (a ReportIn field path, with or
        without the leading "body") is about."""
        path = [part for part in location if part != "body"]
        if not path:
            return "entries"
        if path[0] == "entries":
            filled = self.filled()
            if len(path) > 2 and isinstance(path[1], int) and path[1] < len(filled):
                column = str(path[2]) if str(path[2]) in COLUMNS else "name"
                return f"{column}_{filled[path[1]][0]}"
            return "entries"
        return str(path[0]) if path[0] in ("public_phone", "public_email") else "entries"


def refusal_of(detail: Any, form: ReportForm) -> FormRefused | None:
    """The workflow's or the service's 422 as reasons by control; None for another shape."""
    if isinstance(detail, str):  # the workflow names the field: "entries.0.name：…"
        place, colon, reason = detail.partition("：")
        if not colon:
            return None
        parts: list[Any] = [int(p) if p.isdigit() else p for p in place.split(".")]
        return FormRefused({form.control_of(parts): [reason]})
    if isinstance(detail, list):
        errors: Errors = {}
        for item in detail:
            if isinstance(item, dict):
                place = form.control_of(item.get("loc", []))
                errors.setdefault(place, []).append(str(item.get("msg", "")))
        return FormRefused(errors)
    return None


def phone_reason(name: str, value: str) -> tuple[str, str]:
    """(the reason the number is refused, "") or ("", its canonical form): the check of one
    phone field as the report's schema makes it."""
    if not value.strip():  # every phone of the table must be given
        return "不能为空", ""
    try:
        return "", str(PHONE_FIELDS[name].validate_python(value))
    except ValidationError as exc:
        return form_reason(dict(exc.errors()[0])), ""


ENTRY_LABELS = {
    "name": "姓名",
    "workplace": "单位（处室）",
    "position": "职务",
    "office_phone": "办公电话",
    "mobile": "手机",
    "email": "电子邮箱",
}
