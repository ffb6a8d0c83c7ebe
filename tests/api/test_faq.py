"""The FAQ (常见问题解答): handlers and leaders write for their unit through /api/faq, the
public reads published entries through GET /api/faq and the /faq page, on both stores."""

from typing import Any

import pytest

from tests.support.api_support import Api

QUESTION = "学籍转出后多久能在新学校注册？"
ANSWER = "转入学校确认后，一般 5 个工作日内完成。"


def write(api: Api, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body = {"question": QUESTION, "answer": ANSWER, **body}
    response = api.client.post("/api/faq", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def public(api: Api, **params: str) -> list[str]:
    response = api.client.get("/api/faq", params=params)
    assert response.status_code == 200, response.text
    return [entry["question"] for entry in response.json()]


def test_an_entry_is_public_only_once_published(api: Api) -> None:
    handler = api.headers_for("ca-handler", unit_code="130102", role="handler")
    entry = write(api, handler)
    assert entry["unit_code"] == "130102" and entry["published"] is False
    assert entry["created_by"] == "ca-handler"
    assert public(api) == []

    published = api.client.patch(
        f"/api/faq/{entry['id']}", json={"published": True}, headers=handler
    )

    assert published.status_code == 200 and published.json()["published"] is True
    [shown] = api.client.get("/api/faq").json()  # no login
    assert shown == {
        "id": entry["id"],
        "unit_code": "130102",
        "unit_name": "长安区教育局",
        "question": QUESTION,
        "answer": ANSWER,
        "updated_at": shown["updated_at"],
    }
    withdrawn = api.client.patch(
        f"/api/faq/{entry['id']}", json={"published": False}, headers=handler
    )
    assert withdrawn.status_code == 200 and public(api) == []


def test_staff_list_the_drafts_of_their_unit_and_below(api: Api) -> None:
    county = api.headers_for("ca-handler", unit_code="130102", role="handler")
    city = api.headers_for("sjz-leader", unit_code="130100", role="leader")
    sibling = api.headers_for("bj-handler", unit_code="110000", role="handler")
    draft = write(api, county, question="草稿问题")
    shown = write(api, city, question="公开问题", published=True)

    def listed(headers: dict[str, str]) -> list[tuple[int, bool]]:
        response = api.client.get("/api/faq/unit", headers=headers)
        assert response.status_code == 200, response.text
        return [(entry["id"], entry["published"]) for entry in response.json()]

    assert listed(county) == [(draft["id"], False)]
    assert listed(city) == [(shown["id"], True), (draft["id"], False)]  # by unit code
    assert listed(sibling) == []
    clerk = api.headers_for("ca-clerk", unit_code="130102", role="clerk")
    assert api.client.get("/api/faq/unit", headers=clerk).status_code == 403
    assert api.client.get("/api/faq/unit").status_code == 401


def test_search_by_text_and_by_region(api: Api) -> None:
    changan = api.headers_for("ca-leader", unit_code="130102", role="leader")
    dongcheng = api.headers_for("dc-handler", unit_code="110101", role="handler")
    write(api, changan, published=True)
    write(
        api, changan, question="How to appeal a STATUS decision?", answer="见通知。", published=True
    )
    write(api, dongcheng, question="东城区如何办理转学？", answer="请到区教委。", published=True)

    assert public(api, q="status") == ["How to appeal a STATUS decision?"]  # any case
    assert public(api, q="5 个工作日") == [QUESTION]  # answer text too
    assert public(api, q="%") == []  # no wildcard
    assert sorted(public(api, province="130000")) == sorted(
        [QUESTION, "How to appeal a STATUS decision?"]
    )
    assert public(api, province="110000") == ["东城区如何办理转学？"]
    assert public(api, unit="110101", q="转学") == ["东城区如何办理转学？"]
    assert public(api, unit="110101", province="130000") == []


def test_only_staff_of_the_unit_or_above_may_change_it(api: Api) -> None:
    entry = write(api, api.headers_for("ca-handler", unit_code="130102", role="handler"))
    path = f"/api/faq/{entry['id']}"
    other_county = api.headers_for("dc-handler", unit_code="110101", role="handler")
    city = api.headers_for("sjz-leader", unit_code="130100", role="leader")
    clerk = api.headers_for("ca-clerk", unit_code="130102", role="clerk")

    refused = api.client.patch(path, json={"answer": "别处的答案"}, headers=other_county)
    assert refused.status_code == 403
    assert api.client.patch(path, json={"answer": "办事员"}, headers=clerk).status_code == 403
    assert api.client.post("/api/faq", json={"question": "q", "answer": "a"}).status_code == 401
    changed = api.client.patch(path, json={"answer": "市局改过的答案"}, headers=city)
    assert changed.status_code == 200 and changed.json()["answer"] == "市局改过的答案"
    missing = api.client.patch("/api/faq/999999", json={"published": True}, headers=city)
    assert missing.status_code == 404
    huge = api.client.patch(f"/api/faq/{2**63}", json={"published": True}, headers=city)
    assert huge.status_code == 422 and huge.json()["detail"][0]["loc"] == ["path", "faq_id"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"question": "问" * 201, "answer": ANSWER}, "question", "问题最多 200 个字符"),
        ({"question": QUESTION, "answer": "答" * 4001}, "answer", "答案最多 4000 个字符"),
        ({"question": "   ", "answer": ANSWER}, "question", "问题不能为空"),
        ({"question": QUESTION}, "answer", "缺少此项"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    api: Api, body: dict[str, Any], field: str, message: str
) -> None:
    handler = api.headers_for("ca-handler", unit_code="130102", role="handler")

    response = api.client.post("/api/faq", json=body, headers=handler)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field] and error["msg"] == message


def test_the_longest_allowed_texts_are_accepted(api: Api) -> None:
    handler = api.headers_for("ca-handler", unit_code="130102", role="handler")

    entry = write(api, handler, question="问" * 200, answer="答" * 4000)

    assert len(entry["question"]) == 200 and len(entry["answer"]) == 4000


@pytest.mark.parametrize(
    ("params", "field"), [({"province": "13"}, "province"), ({"q": "x" * 101}, "q")]
)
def test_a_bad_public_filter_is_refused_by_name(
    api: Api, params: dict[str, str], field: str
) -> None:
    response = api.client.get("/api/faq", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]

    page = api.client.get("/faq", params=params)
    assert page.status_code == 422 and f"参数 {field} 有误" in page.text


def test_the_page_shows_published_entries_escaped_with_a_search_form(api: Api) -> None:
    handler = api.headers_for("ca-handler", unit_code="130102", role="handler")
    write(api, handler, question="<script>alert(1)</script>怎么办？", published=True)
    write(api, handler, question="未公开的问题", published=False)

    response = api.client.get("/faq", params={"province": "130000", "q": "怎么办"})

    assert response.status_code == 200
    page = response.text
    assert '<html lang="zh-CN">' in page and "<title>常见问题解答" in page
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;怎么办？" in page
    assert "未公开的问题" not in page and "长安区教育局" in page
    assert '<form method="get" action="/faq" role="search">' in page
    assert 'name="q" type="search" maxlength="100" value="怎么办"' in page
    assert "script-src" not in response.headers["content-security-policy"]
    nothing = api.client.get("/faq", params={"q": "没有这个词"}).text
    assert "共找到 0 条问答" in nothing
