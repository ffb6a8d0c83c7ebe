"""常见问题 in the console over HTTP, on both stores: a county's handler writes an entry,
previews it as the public page shows it, keeps it as a draft, publishes and withdraws it; the
city above edits it; another unit may not (403), an entry that does not exist is 404, a
clerk has no FAQ pages, and a refused form keeps what was typed."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.api_support import PASSWORD, Api
from tests.support.console_support import csrf_of

QUESTION = "学籍转出后多久能在新学校注册？"
ANSWER = "转入学校确认后，一般 5 个工作日内完成。\n如有疑问请来电。"


@pytest.fixture
def browsers(api: Api) -> Iterator[dict[str, TestClient]]:
    """Console clients of a county's handler and clerk, the city's leader and a sibling's
    handler, each with its own cookies."""
    staff = {
        "ca.handler": ("130102", "handler"),
        "ca.clerk": ("130102", "clerk"),
        "sjz.leader": ("130100", "leader"),
        "bj.handler": ("110000", "handler"),
    }
    clients = {}
    for username, (unit, role) in staff.items():
        api.add_user(username, unit_code=unit, role=role)
        client = TestClient(api.client.app, base_url="http://testserver", follow_redirects=False)
        form = {"username": username, "password": PASSWORD, "next": "/console"}
        assert client.post("/console/login", data=form).status_code == 303
        clients[username] = client
    yield clients
    for client in clients.values():
        client.close()


def public_questions(api: Api) -> list[str]:
    return [entry["question"] for entry in api.client.get("/api/faq").json()]


def test_write_preview_publish_and_withdraw(api: Api, browsers: dict[str, TestClient]) -> None:
    county = browsers["ca.handler"]
    listing = county.get("/console/faq")
    assert listing.status_code == 200 and "还没有问答" in listing.text
    token = csrf_of(county.get("/console/faq/new").text)

    blank = county.post("/console/faq/preview", data={"csrf": token, "answer": ANSWER})
    assert blank.status_code == 422
    assert 'href="#question"' in blank.text and "问题：问题不能为空" in blank.text
    assert "如有疑问请来电。</textarea>" in blank.text  # the answer stays as typed
    too_long = county.post(
        "/console/faq/preview", data={"csrf": token, "question": "问" * 201, "answer": ANSWER}
    )
    assert too_long.status_code == 422 and "问题最多 200 个字符" in too_long.text

    written = {"csrf": token, "question": QUESTION, "answer": ANSWER}
    preview = county.post("/console/faq/preview", data=written)
    assert preview.status_code == 200
    assert f'<h2 id="faq-preview">{QUESTION}</h2>' in preview.text  # the public page's markup
    assert (
        '<p class="answer">转入学校确认后' in preview.text
        and "长安区教育局，更新于" in preview.text
    )
    back = county.post("/console/faq/edit", data=written)
    assert f'value="{QUESTION}"' in back.text
    assert public_questions(api) == []  # a preview saves nothing

    saved = county.post("/console/faq", data={**written, "published": "0"})
    assert saved.status_code == 303
    listing = county.get("/console/faq").text
    assert QUESTION in listing and "草稿（未公开）" in listing
    assert public_questions(api) == []

    faq_id = _only_id(listing)
    published = county.post(
        f"/console/faq/{faq_id}/publication", data={"csrf": token, "published": "1"}
    )
    assert published.status_code == 303 and public_questions(api) == [QUESTION]
    assert QUESTION in api.client.get("/faq").text
    withdrawn = county.post(
        f"/console/faq/{faq_id}/publication", data={"csrf": token, "published": "0"}
    )
    assert withdrawn.status_code == 303 and public_questions(api) == []
    odd = county.post(f"/console/faq/{faq_id}/publication", data={"csrf": token, "published": "x"})
    assert odd.status_code == 422 and "请选择发布或撤回" in odd.text
    forged = county.post(f"/console/faq/{faq_id}/publication", data={"published": "1"})
    assert forged.status_code == 403 and public_questions(api) == []

    # The city above edits the county's entry and publishes it with the change.
    city = browsers["sjz.leader"]
    edit = city.get(f"/console/faq/{faq_id}")
    assert edit.status_code == 200 and f'value="{QUESTION}"' in edit.text
    city_token = csrf_of(edit.text)
    refused = city.post(
        f"/console/faq/{faq_id}", data={"csrf": city_token, "question": " ", "answer": ANSWER}
    )
    assert refused.status_code == 422 and "问题不能为空" in refused.text
    changed = {
        "csrf": city_token,
        "question": "转学后多久注册？",
        "answer": ANSWER,
        "published": "1",
    }
    assert city.post(f"/console/faq/{faq_id}", data=changed).status_code == 303
    assert public_questions(api) == ["转学后多久注册？"]


def test_who_may_write_and_edit(api: Api, browsers: dict[str, TestClient]) -> None:
    county = browsers["ca.handler"]
    token = csrf_of(county.get("/console/faq/new").text)
    county.post("/console/faq", data={"csrf": token, "question": QUESTION, "answer": ANSWER})
    faq_id = _only_id(county.get("/console/faq").text)

    sibling = browsers["bj.handler"]
    assert QUESTION not in sibling.get("/console/faq").text
    assert sibling.get(f"/console/faq/{faq_id}").status_code == 403
    sibling_token = csrf_of(sibling.get("/console/faq").text)
    taken = sibling.post(
        f"/console/faq/{faq_id}/publication", data={"csrf": sibling_token, "published": "1"}
    )
    assert taken.status_code == 403 and "只能修改本单位或下级单位的问答" in taken.text
    assert sibling.get("/console/faq/999999").status_code == 404
    assert public_questions(api) == []

    clerk = browsers["ca.clerk"]
    assert clerk.get("/console/faq").status_code == 403
    assert "/console/faq" not in clerk.get("/console").text  # no menu entry either
    assert "/console/faq" in county.get("/console").text


def _only_id(listing: str) -> int:
    [found] = set(re.findall(r'href="/console/faq/(\d+)"', listing))
    return int(found)
