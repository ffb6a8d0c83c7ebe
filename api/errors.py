"""Validation errors in FastAPI's own shape (422, `detail[].loc` names the field), with the
message in Chinese and without the rejected input: a bad request never echoes a password.
And Temporal out of reach: 503, not a crash. On a console address both are a page in the
console's look (the console's forms check their own fields and show them beside the form;
what reaches here is a bad address or query)."""

from typing import Any

from fastapi import Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.console.auth import PATH as CONSOLE
from api.console.render import page
from api.html import too_many
from api.ratelimit import TooManyOnPage
from api.workflow_calls import UNAVAILABLE

_MESSAGES = {
    "missing": "缺少此项",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "literal_error": "取值无效，可选：{expected}",
    "enum": "取值无效，可选：{expected}",
    "greater_than_equal": "不得小于 {ge}",
    "less_than_equal": "不得大于 {le}",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "extra_forbidden": "不允许此项",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "应为列表",
    "datetime_parsing": "应为 ISO 8601 时间，如 2030-03-04T09:00:00+08:00",
    "datetime_type": "应为 ISO 8601 时间，如 2030-03-04T09:00:00+08:00",
    "timezone_aware": "时间须带时区，如 +08:00",
}
# Raised by our own validators (domain.ids and the like): the message is ours, in Chinese, and
# names the problem without repeating the input.
_OWN_MESSAGES = ("value_error", "assertion_error")


def chinese_message(error: dict[str, Any]) -> str:
    if error["type"] in _OWN_MESSAGES:
        own = error.get("ctx", {}).get("error") or error["msg"]
        return str(own).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    template = _MESSAGES.get(error["type"])
    if template is None:
        return "输入无效"
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return "输入无效"


# What a console page calls the parts of a request a reason may name.
_PLACES = {"path": "地址", "query": "查询条件", "body": "表单", "header": "请求头"}


def _console_problem(status_code: int, detail: str) -> HTMLResponse:
    return page("console/problem.html", status_code, title="无法办理", detail=detail)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    detail = [
        {"loc": list(error["loc"]), "msg": chinese_message(error), "type": error["type"]}
        for error in exc.errors()
    ]
    if request.url.path.startswith(CONSOLE):
        reasons = [
            f"{_PLACES.get(str(e['loc'][0]), '')}中的 {e['loc'][-1]}：{e['msg']}" for e in detail
        ]
        return _console_problem(422, "请求无效。" + "；".join(reasons))
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": jsonable_encoder(detail)},
    )


async def temporal_unavailable(request: Request, exc: Exception) -> Response:
    """Temporal could not be reached (TemporalLink.client): 503, try again later."""
    if request.url.path.startswith(CONSOLE):
        answer = _console_problem(
            503, UNAVAILABLE + "。您填写的内容没有提交，请返回上一页稍后重试。"
        )
        answer.headers["Retry-After"] = "5"
        return answer
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": UNAVAILABLE},
        headers={"Retry-After": "5"},
    )


async def too_many_page(request: Request, exc: Exception) -> HTMLResponse:
    """A public HTML page over its rate limit: a page in Chinese, not JSON."""
    assert isinstance(exc, TooManyOnPage)
    return too_many(exc.title, exc.seconds)
