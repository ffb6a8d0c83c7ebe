"""The complexity rules on their own (no store)."""

import pytest

from domain.passwords import character_kinds, complexity_problems


def problems(password: str, username: str = "wang.li") -> list[str]:
    return complexity_problems(password, username=username, min_length=10, min_kinds=3)


@pytest.mark.parametrize(
    ("password", "kinds"),
    [("abcdefghij", 1), ("abcdeFGHIJ", 2), ("abcde12345", 2), ("abc-DEF-123", 4), ("学籍投诉", 0)],
)
def test_character_kinds(password: str, kinds: int) -> None:
    assert character_kinds(password) == kinds


def test_a_good_password_has_no_problems() -> None:
    assert problems("Correct-Horse-7") == []
    assert problems("correcthorse7!") == []  # three kinds are enough


def test_each_rule_has_its_own_reason() -> None:
    assert problems("Ab1-") == ["密码长度至少 10 位"]
    assert problems("abcdefghijkl") == ["密码须包含小写字母、大写字母、数字、符号中的至少 3 类"]
    assert problems("Wang.Li-2030x") == ["密码不得包含用户名"]
    assert problems(" Correct-Horse-7") == ["密码首尾不得有空格"]
    assert problems("Correct-\tHorse-7") == ["密码不得包含控制字符"]


def test_several_problems_are_all_reported() -> None:
    assert len(problems("wang.li")) == 3
