"""Request and answer bodies of /api/faq (常见问题解答)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from api.answers import Reply
from api.schemas.common import RequestBody

QUESTION_MAX, ANSWER_MAX = 200, 4000


def _text(label: str, limit: int) -> BeforeValidator:
    """Strip, then refuse blank or over-long text naming the field in Chinese."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # pydantic's own "应为文本"
        value = value.strip()
        if not value:
            raise ValueError(f"{label}不能为空")
        if len(value) > limit:
            raise ValueError(f"{label}最多 {limit} 个字符")
        return value

    return BeforeValidator(check)


Question = Annotated[
    str,
    Field(min_length=1, max_length=QUESTION_MAX, description="问题"),
    _text("问题", QUESTION_MAX),
]
Answer = Annotated[
    str, Field(min_length=1, max_length=ANSWER_MAX, description="答案"), _text("答案", ANSWER_MAX)
]


class FaqNew(RequestBody):
    """A question and its answer for the writer's own unit; unpublished unless asked."""

    question: Question
    answer: Answer
    published: bool = Field(False, description="是否向社会公开")


class FaqChange(RequestBody):
    """What to change; `published: false` withdraws the entry from the public pages."""

    question: Question | None = None
    answer: Answer | None = None
    published: bool | None = None


class FaqView(Reply):
    id: int
    unit_code: str
    question: str
    answer: str
    published: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class FaqPublic(Reply):
    """A published entry as the public sees it."""

    id: int
    unit_code: str
    unit_name: str
    question: str
    answer: str
    updated_at: datetime
