"""Field types shared by the request bodies.

Identifiers are normalised with domain.ids, so a bad one is a 422 naming its field with the
reason in Chinese. `Phone` and `Email` may be empty (nothing given); a field that must have
one adds `non_blank(...)`.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, field_validator

from domain.ids import (
    normalize_addressee,
    normalize_id_card,
    normalize_phone,
    normalize_school_code,
    normalize_student_no,
    normalize_unit_code,
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Control characters other than tab and line breaks: PostgreSQL cannot store a NUL in text, and
# none of them belongs in anything a person writes.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RequestBody(BaseModel):
    """A request body: no text in it, however deep, holds a control character (a 422 naming
    the field, instead of a database error)."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        if _has_control(value):
            raise ValueError("不能包含控制字符")
        return value


def _has_control(value: object) -> bool:
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, list | tuple):
        return any(_has_control(item) for item in value)
    return False  # a nested body checks its own fields, so the error names the inner field


def _optional(normalize: object) -> AfterValidator:
    """Apply a normaliser to a non-empty value; its InvalidIdentifier (a ValueError) is a 422."""

    def check(value: str) -> str:
        return normalize(value) if value.strip() else ""  # type: ignore[operator]

    return AfterValidator(check)


def non_blank(label: str) -> AfterValidator:
    """Strip, and refuse what is left empty: "<label>不能为空"."""

    def check(value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(f"{label}不能为空")
        return value

    return AfterValidator(check)


def _email(value: str) -> str:
    value = value.strip()
    if value and not _EMAIL.fullmatch(value):
        raise ValueError("电子邮箱格式不正确")
    return value


def _mobile_only(value: str) -> str:
    if "-" in value:  # normalize_phone writes a landline area-local
        raise ValueError("手机号码应为 11 位手机号")
    return value


Text = Annotated[str, Field(min_length=1, max_length=4000)]
OptionalText = Annotated[str, Field(max_length=4000)]
Name = Annotated[str, Field(min_length=1, max_length=50)]
Phone = Annotated[str, Field(max_length=32), _optional(normalize_phone)]
"""A mainland mobile or landline number in its canonical form (13812345678, 010-62345678)."""
Mobile = Annotated[Phone, non_blank("手机号码"), AfterValidator(_mobile_only)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
"""An e-mail address, stripped."""
IdCard = Annotated[str, Field(max_length=32), _optional(normalize_id_card)]
StudentNo = Annotated[str, Field(max_length=32), _optional(normalize_student_no)]
SchoolCode = Annotated[str, AfterValidator(normalize_school_code)]
UnitCode = Annotated[str, AfterValidator(normalize_unit_code)]
Addressee = Annotated[str, AfterValidator(normalize_addressee)]
"""A unit a slip may go to: a bureau (6 digits) or a school (10 digits)."""
