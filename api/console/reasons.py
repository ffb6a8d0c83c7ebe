"""The reasons a console page shows beside a refused form, in Chinese: a field's name for
the field a reason names (the JSON API's and the workflow's reasons name it in English)."""

from typing import Any

from fastapi import HTTPException

from api.errors import chinese_message

# The field names of the forms, as a reason names them.
FIELD_NAMES = {
    "addressees": "核查单位",
    "executing_units": "承办单位",
    "instructions": "说明",
    "opinion": "办理意见",
    "conclusion": "确认意见",
    "channel": "告知方式",
    "message": "告知内容",
    "public_reply": "公开答复",
    "response": "反馈内容",
    "proposed_unit": "建议处理单位",
    "handling_unit": "裁定处理单位",
    "reason": "理由",
    "assignee": "承办人",
    "result": "回访结果",
    "uphold": "复核结论",
}


def field_message(error: Any) -> str:
    names = [FIELD_NAMES.get(str(part), "") for part in error["loc"]]
    label = next((n for n in names if n), "")
    message = chinese_message(error)
    return f"{label}：{message}" if label and not message.startswith(label) else message


def reason_of(exc: HTTPException) -> str:
    """The Chinese reason of a refusal: its text, or the messages of a 422 naming fields."""
    if isinstance(exc.detail, str):  # a workflow's reason may begin with its field
        field_name, colon, rest = exc.detail.partition("：")
        return (
            f"{FIELD_NAMES[field_name]}：{rest}"
            if colon and field_name in FIELD_NAMES
            else exc.detail
        )
    if isinstance(exc.detail, list):
        return "；".join(field_message(error) for error in exc.detail)
    return "无法办理"
