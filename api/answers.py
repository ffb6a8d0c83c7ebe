"""The base of the API's answers: every time is written in Beijing time (+08:00), as staff
and complainants read it, whether it came from the store (kept in UTC) or from a workflow."""

from dataclasses import fields, is_dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, SerializerFunctionWrapHandler, field_serializer

from domain.workdays import SHANGHAI

T = TypeVar("T")


class Reply(BaseModel):
    @field_serializer("*", mode="wrap", when_used="json")
    def _in_beijing_time(self, value: Any, handler: SerializerFunctionWrapHandler) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(SHANGHAI)
        return handler(value)


def in_beijing_time(value: T) -> T:
    """`value` (a workflow's dataclass state, a list or a dict of them) with every aware time
    moved to Beijing time: the same instants, written as the API writes all its times."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI) if value.tzinfo is not None else value  # type: ignore[return-value]
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: in_beijing_time(getattr(value, f.name)) for f in fields(value) if f.init}
        return replace(value, **changes)  # type: ignore[return-value]
    if isinstance(value, list):
        return [in_beijing_time(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, dict):
        return {key: in_beijing_time(item) for key, item in value.items()}  # type: ignore[return-value]
    return value
