"""The query parameters of the public directory and FAQ, checked once for the JSON endpoints
and the HTML pages alike; a bad one is refused naming it, in Chinese."""

import re
from typing import Literal

from fastapi.exceptions import RequestValidationError

Level = Literal["national", "provincial", "prefectural", "county"]
LEVELS: tuple[str, ...] = Level.__args__  # type: ignore[attr-defined]
LEVEL_NAMES = {
    "national": "国家级",
    "provincial": "省级",
    "prefectural": "地市级",
    "county": "县级",
}
SEARCH_MAX = 100
_UNIT_CODE = re.compile(r"\d{6}")


class FilterError(ValueError):
    """A query parameter that cannot be used: which one, and why (in Chinese)."""

    def __init__(self, field: str, value: str, message: str) -> None:
        super().__init__(message)
        self.field, self.value, self.message = field, value, message

    def as_validation_error(self) -> RequestValidationError:
        loc = ("query", self.field)
        error = {"type": "value_error", "loc": loc, "msg": self.message, "input": self.value}
        return RequestValidationError([error])


def check_level(level: str | None) -> str | None:
    if level is not None and level not in LEVELS:
        raise FilterError("level", level, f"级别应为 {'、'.join(LEVELS)} 之一")
    return level


def check_code(field: str, code: str | None, label: str) -> str | None:
    if code is not None and _UNIT_CODE.fullmatch(code) is None:
        raise FilterError(field, code, f"{label}应为 6 位数字")
    return code


def check_search(text: str | None) -> str | None:
    text = (text or "").strip()
    if len(text) > SEARCH_MAX:
        raise FilterError("q", text[:SEARCH_MAX], f"搜索词最多 {SEARCH_MAX} 个字符")
    return text or None
