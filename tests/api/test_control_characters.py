"""A control character (a NUL above all: PostgreSQL cannot store one in text) in any text of a
request is a 422 naming the field, on both stores, never a server error, and changes nothing."""

from typing import Any

import pytest

from tests.support.api_support import Api

COMPLAINT = {
    "channel": "phone",
    "complainant": {"name": "张晓明", "phone": "13812345678"},
    "students": [{"name": "张小雨"}],
    "school_codes": ["2130102001"],
    "summary": "孩子的学籍被错误转出",
}


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"complainant": {"name": "张\x00晓明", "phone": "13812345678"}}, ["complainant", "name"]),
        ({"summary": "学籍\x07被转出"}, ["summary"]),
        ({"school_codes": ["2130102001\x00"]}, ["school_codes"]),
    ],
)
def test_a_control_character_in_a_registration_is_refused_by_name(
    api: Api, change: dict[str, Any], location: list[str]
) -> None:
    headers = api.headers_for("li.ming", role="clerk")
    answer = api.client.post("/api/complaints", json={**COMPLAINT, **change}, headers=headers)
    assert answer.status_code == 422, answer.text
    error = answer.json()["detail"][0]
    assert error["loc"] == ["body", *location] and "控制字符" in error["msg"]


def test_line_breaks_and_tabs_in_longer_text_are_kept_apart_from_the_refusal(api: Api) -> None:
    headers = api.headers_for("li.ming", role="clerk")
    body = {**COMPLAINT, "summary": "第一行\n第二行\t（补充）"}
    answer = api.client.post("/api/complaints", json=body, headers=headers)
    # This small tree has no such school, so the answer is a 422 about that, not the summary.
    assert answer.status_code == 422, answer.text
    assert [error["loc"] for error in answer.json()["detail"]] == [["body", "school_codes", 0]]


def test_a_nul_in_a_login_is_a_422_not_a_server_error(api: Api) -> None:
    answer = api.client.post(
        "/api/auth/login", json={"username": "wang\x00li", "password": "x", "totp_code": None}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "username"]
