"""Identifiers: validation, canonical forms, tracking numbers and masks (domain/ids.py)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.iso7064 import mod_37_36

from domain.ids import (
    CROCKFORD,
    InvalidIdentifier,
    format_tracking_no,
    is_valid_id_card,
    is_valid_tracking_no,
    mask_id_card,
    mask_phone,
    mask_student_no,
    new_tracking_no,
    normalize_id_card,
    normalize_phone,
    normalize_school_code,
    normalize_student_no,
    normalize_tracking_no,
    normalize_unit_code,
)

# Check digits computed with GB 11643; 360426199101010071 is python-stdnum's own example.
VALID_ID_CARDS = [
    "11010519491231002X",
    "360426199101010071",
    "130123198002291231",  # 29 February of a leap year
    "330106199901011235",
    "440304200001010017",
]


# --- ID card --------------------------------------------------------------------------------


@pytest.mark.parametrize("number", VALID_ID_CARDS)
def test_valid_id_cards_are_accepted(number: str) -> None:
    assert normalize_id_card(number) == number
    assert is_valid_id_card(number)


def test_id_card_is_normalized() -> None:
    assert normalize_id_card(" 110105 19491231 002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "校验码"),  # check digit should be X
        ("360426199101010072", "校验码"),
        ("130123198102291234", "出生日期"),  # 1981 is not a leap year
        ("110105194913310025", "出生日期"),  # month 13
        ("11010519491231002", "18 位"),
        ("11010519491231002X1", "18 位"),
        ("1101051949123100XX", "数字"),
        ("990105194912310024", "地址码"),
        ("110105180001010024", "出生日期"),
    ],
)
def test_invalid_id_cards_are_refused_with_a_reason(number: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_id_card(number)
    assert caught.value.field == "id_card"
    assert reason in caught.value.reason
    assert str(caught.value).startswith("身份证号无效：")
    assert not is_valid_id_card(number)


def test_invalid_identifier_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="身份证号"):
        normalize_id_card("123")


# --- student numbers, school and unit codes ---------------------------------------------------


def test_student_no_with_id_card() -> None:
    assert normalize_student_no("g11010519491231002x") == "G11010519491231002X"


def test_temporary_student_no() -> None:
    assert normalize_student_no("L12345678901234567x") == "L12345678901234567X"
    assert normalize_student_no("l 123456789012345678") == "L123456789012345678"


@pytest.mark.parametrize(
    "number",
    [
        "G110105194912310021",  # bad check digit
        "G1101051949123100",  # short
        "L1234567890123456",  # short
        "L12345678901234567A",
        "11010519491231002X",  # no prefix
        "X11010519491231002X",
        "",
    ],
)
def test_invalid_student_numbers(number: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_student_no(number)
    assert caught.value.field == "student_no"
    assert str(caught.value).startswith("学籍号无效：")


def test_school_code() -> None:
    assert normalize_school_code(" 2113010001 ") == "2113010001"
    for bad in ("211301000", "21130100011", "21130100a1", ""):
        with pytest.raises(InvalidIdentifier, match="学校标识码"):
            normalize_school_code(bad)


def test_unit_code() -> None:
    assert normalize_unit_code("130123") == "130123"
    assert normalize_unit_code("000000") == "000000"
    for bad in ("13012", "1301234", "13O123"):
        with pytest.raises(InvalidIdentifier, match="单位代码"):
            normalize_unit_code(bad)


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("19912345678", "19912345678"),
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("(010)62345678", "010-62345678"),
        ("021 6543 2100", "021-65432100"),
        ("0311-87654321", "0311-87654321"),
        ("03118765432", "0311-8765432"),
        ("0571-87654321-801", "0571-87654321-801"),
        ("0571-87654321转801", "0571-87654321-801"),
        ("0000-6130000", "0000-6130000"),  # the demo data's visibly fake numbers
    ],
)
def test_phone_is_normalized(raw: str, canonical: str) -> None:
    assert normalize_phone(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    ["12812345678", "1381234567", "138123456789", "010-0234567", "0311-123456", "87654321", ""],
)
def test_invalid_phones(raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_phone(raw)
    assert caught.value.field == "phone"
    assert str(caught.value).startswith("电话号码无效：")


# --- tracking numbers -------------------------------------------------------------------------

DAY = date(2026, 11, 28)


def test_tracking_no_round_trip() -> None:
    number = new_tracking_no(DAY, "K7QX3M")
    assert number.startswith("20261128K7QX3M")
    assert len(number) == 15
    assert number[-1] in CROCKFORD
    assert is_valid_tracking_no(number)
    shown = format_tracking_no(number)
    assert shown == f"20261128-K7QX3M-{number[-1]}"
    assert is_valid_tracking_no(shown)
    assert is_valid_tracking_no(shown.lower())
    assert is_valid_tracking_no(" ".join(shown.split("-")))
    assert normalize_tracking_no(shown.lower()) == number


def test_crockford_look_alikes_are_read_as_digits() -> None:
    number = new_tracking_no(DAY, "0A1B1C")
    assert new_tracking_no(DAY, "oa1bLc") == number
    assert normalize_tracking_no(number.replace("0A", "OA").replace("1B", "IB")) == number


def test_one_character_typo_is_detected() -> None:
    number = new_tracking_no(DAY, "K7QX3M")
    typo = number[:10] + ("R" if number[10] != "R" else "S") + number[11:]
    assert not is_valid_tracking_no(typo)
    with pytest.raises(InvalidIdentifier, match="受理编号无效"):
        format_tracking_no(typo)


@pytest.mark.parametrize(
    "bad", ["", "20261128K7QX3M", "20261128K7QX3MAA", "2026112AK7QX3M7", "20261128K7QX3U7"]
)
def test_malformed_tracking_numbers(bad: str) -> None:
    assert not is_valid_tracking_no(bad)


def test_tracking_no_with_impossible_date_is_invalid() -> None:
    body = "20261332K7QX3M"
    number = body + mod_37_36.calc_check_digit(body, alphabet=CROCKFORD)
    assert not is_valid_tracking_no(number)


def test_random_part_must_be_crockford() -> None:
    for bad in ("K7QX3", "K7QX3MM", "K7QX3U", "K7QX3!"):
        with pytest.raises(InvalidIdentifier):
            new_tracking_no(DAY, bad)


crockford_part = st.text(alphabet=CROCKFORD, min_size=6, max_size=6)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@given(day=days, part=crockford_part, position=st.integers(0, 14), replacement=st.data())
def test_any_single_substitution_is_invalid(
    day: date, part: str, position: int, replacement: st.DataObject
) -> None:
    number = new_tracking_no(day, part)
    assert is_valid_tracking_no(number)
    other = replacement.draw(st.sampled_from(CROCKFORD).filter(lambda ch: ch != number[position]))
    changed = number[:position] + other + number[position + 1 :]
    assert not is_valid_tracking_no(changed)


# --- masks ------------------------------------------------------------------------------------


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138 1234 5678") == "138****5678"
    assert mask_phone("0311-87654321") == "0311-****4321"
    assert mask_phone("010-2234567-801") == "010-***4567"
    assert mask_phone("garbage12") == "*****ge12"
    assert mask_phone("12") == "**"


def test_mask_id_card() -> None:
    assert mask_id_card("11010519491231002X") == "110105********002X"
    assert mask_id_card("11010519491231002x") == "110105********002X"
    assert mask_id_card("12345") == "*2345"


def test_mask_student_no() -> None:
    assert mask_student_no("G11010519491231002X") == "G110105********002X"
    assert mask_student_no("L123456789012345678") == "L123456********5678"
    assert mask_student_no("") == ""
