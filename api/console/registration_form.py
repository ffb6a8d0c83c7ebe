"""The registration form (受理登记) as the browser posts it: its fields, the complaint they make
(validated by the same ComplaintIn as the JSON route), and each refusal placed next to the
control it is about."""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from api.errors import chinese_message
from api.schemas.complaints import ComplaintIn, NotRepeatIn
from domain.process import Channel

ROWS_WITHOUT_SCRIPT = 3  # student rows a browser without JavaScript always gets
MAX_STUDENTS = 50  # as ComplaintIn takes
_CODES_SEPARATOR = re.compile(r"[\s,，、;；]+")
_STUDENT_CONTROLS = {
    "name": "student_name",
    "id_card": "student_id_card",
    "student_no": "student_no",
}

Errors = dict[str, list[str]]
Model = TypeVar("Model", bound=BaseModel)
"""Reasons by the id of the control they are about."""


def new_idempotency_key() -> str:
    """The key a form gets when first shown, so that posting it twice registers once."""
    return f"console-{secrets.token_urlsafe(18)}"


@dataclass
class StudentRow:
    name: str = ""
    id_card: str = ""
    student_no: str = ""

    @property
    def blank(self) -> bool:
        return not (self.name.strip() or self.id_card.strip() or self.student_no.strip())


@dataclass
class RegistrationForm:
    """What the clerk has typed, as they typed it (shown again on every round trip)."""

    channel: Channel
    idempotency_key: str = field(default_factory=new_idempotency_key)
    complainant_name: str = ""
    complainant_phone: str = ""
    complainant_email: str = ""
    complainant_id_card: str = ""
    students: list[StudentRow] = field(default_factory=list)
    school_codes: list[str] = field(default_factory=list)
    unit_codes: str = ""
    summary: str = ""
    refer_to_hotline: bool = False

    @classmethod
    def posted(cls, form: FormData, channel: Channel) -> "RegistrationForm":
        def text(name: str) -> str:
            value = form.get(name, "")
            return value if isinstance(value, str) else ""

        def texts(name: str) -> list[str]:
            return [value for value in form.getlist(name) if isinstance(value, str)]

        columns = [texts("student_name"), texts("student_id_card"), texts("student_no")]
        count = min(max(len(column) for column in columns), MAX_STUDENTS + 1)
        students = [
            StudentRow(*(column[row] if row < len(column) else "" for column in columns))
            for row in range(count)
        ]
        return cls(
            channel=channel,
            idempotency_key=text("idempotency_key") or new_idempotency_key(),
            complainant_name=text("complainant_name"),
            complainant_phone=text("complainant_phone"),
            complainant_email=text("complainant_email"),
            complainant_id_card=text("complainant_id_card"),
            students=students,
            school_codes=list(dict.fromkeys(code.strip() for code in texts("school_codes"))),
            unit_codes=text("unit_codes"),
            summary=text("summary"),
            refer_to_hotline=text("refer_to_hotline") == "1",
        )

    def rows(self, extra: int = 0) -> list[StudentRow]:
        """The student rows to show: those typed, at least ROWS_WITHOUT_SCRIPT, `extra` more."""
        shown = [*self.students]
        shown += [StudentRow() for _ in range(ROWS_WITHOUT_SCRIPT - len(shown))]
        shown += [StudentRow() for _ in range(extra)]
        return shown[:MAX_STUDENTS]

    def filled_students(self) -> list[tuple[int, StudentRow]]:
        return [(index, row) for index, row in enumerate(self.students) if not row.blank]

    def complaint(self) -> ComplaintIn:
        """The complaint the form makes; raises FormRefused with each control's reasons."""
        filled = self.filled_students()
        body = {
            "channel": self.channel.value,
            "complainant": {
                "name": self.complainant_name.strip(),
                "phone": self.complainant_phone,
                "email": self.complainant_email,
                "id_card": self.complainant_id_card,
            },
            "students": [
                {"name": row.name.strip(), "id_card": row.id_card, "student_no": row.student_no}
                for _, row in filled
            ],
            "school_codes": self.school_codes,
            "unit_codes": [code for code in _CODES_SEPARATOR.split(self.unit_codes) if code],
            "summary": self.summary.strip(),
            "refer_to_hotline": self.refer_to_hotline,
        }
        return validated(ComplaintIn, body, self.control_of)

    def control_of(self, location: tuple[Any, ...] | list[Any]) -> str:
        """The id of the control a refusal at `location` (a ComplaintIn field path, with or
        without the leading "body") is about."""
        path = list(location)
        if path[:1] == ["body"]:
            path = path[1:]
        if not path:  # the complaint as a whole: it names no school and no unit
            return "school_q"
        head = path[0]
        if head == "complainant" and len(path) > 1:
            return f"complainant_{path[1]}"
        if head == "students":
            filled = self.filled_students()
            if len(path) > 2 and isinstance(path[1], int) and path[1] < len(filled):
                row = filled[path[1]][0]
                return f"{_STUDENT_CONTROLS.get(str(path[2]), 'student_name')}_{row}"
            return "student_name_0"
        if head == "school_codes":
            return "school_q"
        if head in ("unit_codes", "summary", "refer_to_hotline"):
            return str(head)
        return "summary"


def form_reason(error: dict[str, Any]) -> str:
    """The API's reason, but an empty required field is said to be empty (a form has no
    "at least one character")."""
    if error["type"] == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
        return "不能为空"
    return chinese_message(error)


class FormRefused(Exception):
    """The form does not make a complaint that may be registered: reasons by control."""

    def __init__(self, errors: Errors) -> None:
        super().__init__(errors)
        self.errors = errors


def validated(model: type[Model], body: dict[str, Any], control_of: Callable[[Any], str]) -> Model:
    """`body` as the JSON route's request model; FormRefused with each reason under the form
    control `control_of` names for its field path."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors: Errors = {}
        for error in exc.errors():
            errors.setdefault(control_of(error["loc"]), []).append(form_reason(dict(error)))
        raise FormRefused(errors) from None


def refusal_of(detail: Any, form: RegistrationForm) -> FormRefused | None:
    """A 422 of the registration service (FastAPI's detail list) as reasons by control; None
    for a detail of another shape."""
    if not isinstance(detail, list):
        return None
    errors: Errors = {}
    for item in detail:
        if isinstance(item, dict):
            place = form.control_of(item.get("loc", []))
            errors.setdefault(place, []).append(str(item.get("msg", "")))
    return FormRefused(errors)


CHOOSE = "这份投诉可能是已有案件的重复件：请选择并入其中一件，或作为新件登记并填写理由"


@dataclass(frozen=True)
class RepeatChoice:
    """The clerk's answer, on the preview, to the cases the complaint may repeat: nothing yet
    (""), "new" with a reason, or the id of the case to join as a repeat (重复件)."""

    value: str = ""
    reason: str = ""
    matches_key: str = ""

    @classmethod
    def posted(cls, form: FormData) -> "RepeatChoice":
        def text(name: str, limit: int) -> str:
            value = form.get(name, "")
            return value[:limit] if isinstance(value, str) else ""

        return cls(
            value=text("repeat_choice", 64),
            reason=text("not_repeat_reason", 1000),
            matches_key=text("matches_key", 64),
        )

    @property
    def joins(self) -> bool:
        return self.value not in ("", "new")

    @property
    def registers_new(self) -> bool:
        return self.value == "new"

    def acknowledged(self, complaint: ComplaintIn) -> ComplaintIn:
        """The complaint registered as new with the clerk's reason; FormRefused without one."""
        body = {"reason": self.reason.strip(), "matches_key": self.matches_key}
        not_repeat = validated(NotRepeatIn, body, lambda _: "not_repeat_reason")
        return complaint.model_copy(update={"not_repeat": not_repeat})
