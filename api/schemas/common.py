"""Field types shared by the request bodies.

Identifiers are normalised with domain.ids, so a bad one is a 422 naming its field with the
reason in Chinese. `Phone` and `Email` may be empty (nothing given); a field that must have
one adds `non_blank(...)`.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from domain.ids import (
    normalize_id_card,
    normalize_phone,
    normalize_school_code,
    normalize_student_no,
    normalize_unit_code,
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


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
