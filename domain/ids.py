"""Identifiers: ID card, student-status and school numbers, unit codes, phones, tracking numbers.

Pure functions, no I/O. ``normalize_*`` returns the canonical form of a value or raises
:class:`InvalidIdentifier`; ``mask_*`` shows a value in lists without revealing it and never
raises, so that a bad value already stored cannot break a page.

Check digits come from python-stdnum: GB 11643 (``stdnum.cn.ric``) for ID card numbers and
ISO 7064 (``stdnum.iso7064.mod_37_36`` over the Crockford base32 alphabet, i.e. the hybrid
MOD 33,32 system) for the check character of tracking numbers.
"""

from __future__ import annotations

import re
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_37_36

FIELD_LABELS = {
    "id_card": "身份证号",
    "student_no": "学籍号",
    "school_code": "学校标识码",
    "unit_code": "单位代码",
    "addressee": "单位代码或学校标识码",
    "phone": "电话号码",
    "tracking_no": "受理编号",
    "random_part": "受理编号随机部分",
}

# Crockford base32: no I, L, O, U, so a number read over the phone has no look-alikes.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
TRACKING_RANDOM_LEN = 6
_TRACKING_LEN = 8 + TRACKING_RANDOM_LEN + 1

# First two digits of GB/T 2260 provincial codes, plus 81/82/83 used by the residence
# permits of Hong Kong, Macao and Taiwan residents (same 18-character format).
_PROVINCE_PREFIX = re.compile(r"1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3]")
_EARLIEST_BIRTH_YEAR = 1900

_SEPARATORS = re.compile(r"[\s\-]+")
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")
_LANDLINE = re.compile(
    r"\(?(0\d{2,3})\)?-?(\d{7,8})(?:(?:-|转|分机|ext\.?|x|#)(\d{1,6}))?", re.IGNORECASE
)


class InvalidIdentifier(ValueError):
    """A value that is not a valid identifier of its kind; ``str()`` is for the user."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        return f"{FIELD_LABELS.get(self.field, self.field)}无效：{self.reason}"


def _strip(value: str) -> str:
    return "".join(value.split())


# --- ID card (居民身份证号码, GB 11643) -------------------------------------------------


def normalize_id_card(value: str) -> str:
    """Return the 18-character ID card number, upper-case X; raise if it is not valid."""
    return _check_id_card(_strip(value).upper(), field="id_card")


def _check_id_card(number: str, *, field: str) -> str:
    if len(number) != 18:
        raise InvalidIdentifier(field, f"应为 18 位，实际 {len(number)} 位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdentifier(field, "前 17 位应为数字，最后一位为数字或 X")
    if _PROVINCE_PREFIX.fullmatch(number[:2]) is None:
        raise InvalidIdentifier(field, "地址码不正确")
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise InvalidIdentifier(field, "出生日期不存在") from None
    if birth.year < _EARLIEST_BIRTH_YEAR:
        raise InvalidIdentifier(field, "出生日期不正确")
    # Not ric.validate(): it also looks the address code up in stdnum's own table, which
    # lags behind GB/T 2260 and would refuse people born in newly created districts.
    if ric.calc_check_digit(number) != number[17]:
        raise InvalidIdentifier(field, "校验码不正确")
    return number


def is_valid_id_card(value: str) -> bool:
    """Whether ``value`` is a valid ID card number (spaces and lower-case x allowed)."""
    try:
        normalize_id_card(value)
    except InvalidIdentifier:
        return False
    return True


# --- student-status number (全国学籍号), school and unit codes -----------------------------


def normalize_student_no(value: str) -> str:
    """Return the student-status number upper-case.

    Either ``G`` followed by a valid ID card number, or ``L`` followed by a temporary number
    of 18 characters (digits, the last may be X) for students without an ID card.
    """
    number = _strip(value).upper()
    if number[:1] == "G":
        return "G" + _check_id_card(number[1:], field="student_no")
    if number[:1] == "L":
        if re.fullmatch(r"\d{17}[\dX]", number[1:]) is None:
            raise InvalidIdentifier("student_no", "L 后应为 18 位数字（最后一位可为 X）")
        return number
    raise InvalidIdentifier("student_no", "应以 G（身份证号）或 L（临时学籍号）开头")


def normalize_school_code(value: str) -> str:
    """Return the 10-digit school identification code (学校标识码)."""
    code = _strip(value)
    if re.fullmatch(r"\d{10}", code) is None:
        raise InvalidIdentifier("school_code", "应为 10 位数字")
    return code


def normalize_unit_code(value: str) -> str:
    """Return the 6-digit code of an education bureau (its administrative division code)."""
    code = _strip(value)
    if re.fullmatch(r"\d{6}", code) is None:
        raise InvalidIdentifier("unit_code", "应为 6 位数字")
    return code


def normalize_addressee(value: str) -> str:
    """Return the code of a slip's addressee: a bureau's 6 digits or a school's 10."""
    code = _strip(value)
    if re.fullmatch(r"\d{6}|\d{10}", code) is None:
        raise InvalidIdentifier("addressee", "应为 6 位单位代码或 10 位学校标识码")
    return code


# --- phones ------------------------------------------------------------------------------


def normalize_phone(value: str) -> str:
    """Return a mainland phone number in canonical form.

    Mobile: the 11 digits (``13812345678``; a +86 prefix, spaces and hyphens are dropped).
    Landline: ``area-local`` with the area code's leading 0 (``010-62345678``,
    ``0311-8765432``), and ``-extension`` when there is one (``010-62345678-801``).
    The area code has 3 digits for 010 and 02x, 4 digits otherwise, as in the national plan.
    """
    text = _strip(value)
    mobile = _MOBILE.fullmatch(_SEPARATORS.sub("", text))
    if mobile is not None:
        return mobile[1]
    landline = _LANDLINE.fullmatch(text)
    if landline is None:
        raise InvalidIdentifier("phone", "应为 11 位手机号或带区号的固定电话")
    digits = landline[1] + landline[2]
    area_len = 3 if digits[1] in "12" else 4
    area, local = digits[:area_len], digits[area_len:]
    if len(local) not in (7, 8) or local[0] in "01":
        raise InvalidIdentifier("phone", "固定电话号码应为 7 或 8 位，且不以 0 或 1 开头")
    extension = landline[3]
    return f"{area}-{local}-{extension}" if extension else f"{area}-{local}"


# --- tracking number (受理编号) ------------------------------------------------------------


def new_tracking_no(day: date, random_part: str) -> str:
    """Return the tracking number for a complaint received on ``day``.

    ``random_part`` is 6 Crockford base32 characters made by the caller (the domain stays
    pure). The result is ``YYYYMMDD`` + those 6 characters + 1 ISO 7064 check character,
    all upper-case and without separators, e.g. ``20261128K7QX3M7``.
    """
    part = _strip(random_part).upper().translate(_CROCKFORD_ALIASES)
    if len(part) != TRACKING_RANDOM_LEN or any(ch not in CROCKFORD for ch in part):
        raise InvalidIdentifier("random_part", "应为 6 个 Crockford base32 字符")
    body = f"{day:%Y%m%d}{part}"
    return body + mod_37_36.calc_check_digit(body, alphabet=CROCKFORD)


def normalize_tracking_no(value: str) -> str:
    """Return the compact upper-case tracking number; raise if it is not valid.

    Hyphens and spaces are ignored, case does not matter, and the Crockford look-alikes
    O, I and L are read as 0, 1 and 1.
    """
    number = _SEPARATORS.sub("", value).upper().translate(_CROCKFORD_ALIASES)
    if len(number) != _TRACKING_LEN:
        raise InvalidIdentifier("tracking_no", f"应为 {_TRACKING_LEN} 位")
    if not number[:8].isdigit() or any(ch not in CROCKFORD for ch in number[8:]):
        raise InvalidIdentifier("tracking_no", "含有无效字符")
    if not mod_37_36.is_valid(number, alphabet=CROCKFORD):
        raise InvalidIdentifier("tracking_no", "校验位不正确，请核对")
    try:
        date(int(number[:4]), int(number[4:6]), int(number[6:8]))
    except ValueError:
        raise InvalidIdentifier("tracking_no", "日期部分不正确") from None
    return number


def is_valid_tracking_no(value: str) -> bool:
    """Whether ``value`` is a valid tracking number (with or without hyphens, any case)."""
    try:
        normalize_tracking_no(value)
    except InvalidIdentifier:
        return False
    return True


def format_tracking_no(value: str) -> str:
    """Return the tracking number grouped for display: ``20261128-K7QX3M-7``."""
    number = normalize_tracking_no(value)
    return f"{number[:8]}-{number[8:-1]}-{number[-1]}"


# --- masks for lists -----------------------------------------------------------------------


def _mask_tail(text: str, keep: int = 4) -> str:
    """Stars for all but the last ``keep`` characters; all stars when it is that short."""
    if len(text) <= keep:
        return "*" * len(text)
    return "*" * (len(text) - keep) + text[-keep:]


def mask_phone(value: str) -> str:
    """``138****5678`` for a mobile; a landline keeps its area code and last 4 digits."""
    try:
        phone = normalize_phone(value)
    except InvalidIdentifier:
        return _mask_tail(_strip(value))
    if "-" not in phone:
        return f"{phone[:3]}****{phone[-4:]}"
    area, local = phone.split("-")[:2]
    return f"{area}-{_mask_tail(local)}"


def mask_email(value: str) -> str:
    """``z***@example.com``: the first character of the mailbox and the domain."""
    local, at, domain = value.strip().rpartition("@")
    if not at or not local:
        return _mask_tail(value.strip())
    return f"{local[0]}***@{domain}"


def mask_id_card(value: str) -> str:
    """First 6 and last 4 characters, e.g. ``110105********002X``."""
    number = _strip(value).upper()
    if len(number) != 18:
        return _mask_tail(number)
    return f"{number[:6]}********{number[-4:]}"


def mask_student_no(value: str) -> str:
    """The G/L prefix, then as an ID card: ``G110105********002X``."""
    number = _strip(value).upper()
    if len(number) != 19:
        return _mask_tail(number)
    return number[0] + mask_id_card(number[1:])
