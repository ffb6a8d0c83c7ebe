"""运行状态 (/console/status, GET /api/status) over HTTP: what `xueji status` shows and the alert
board's links, for the system administrator of the top unit alone; with Temporal down or
silent the page still answers within seconds, naming it 不可用 and why; with Temporal up, the
real worker is seen polling."""

import html
import re
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.web_ui import ALERT_FILTERS, filter_link
from tests.conftest import FreshStore
from tests.support.api_support import SMALL_TREE, Api, open_api, totp_code
from tests.support.demo import MINISTRY
from tests.support.http_support import PASSWORD, System
from tests.support.waiting import eventually

UI = "http://127.0.0.1:8233"  # the Web UI's address by default (XUEJI_TEMPORAL_UI_ORIGIN)


@pytest.fixture
def silent_temporal() -> Iterator[str]:
    """An address that takes connections and never answers: a Temporal that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def api(fresh_store: FreshStore, tmp_path: Path, silent_temporal: str) -> Iterator[Api]:
    with open_api(fresh_store.make(SMALL_TREE), tmp_path, temporal_address=silent_temporal) as api:
        yield api


def console_as(client: TestClient, username: str, secret: str | None, now: datetime) -> None:
    form = {"username": username, "password": PASSWORD, "next": "/console"}
    if secret:
        form["totp_code"] = totp_code(secret, now)
    answer = client.post("/console/login", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def rows(page: str) -> list[list[str]]:
    """The status table's rows: check, state, detail."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_with_temporal_silent_the_page_names_it_unavailable_within_seconds(
    api: Api, silent_temporal: str
) -> None:
    secret = api.add_user("ops", unit_code="000000", role="sysadmin", totp=True)
    console_as(api.client, "ops", secret, api.clock())

    started = time.monotonic()
    answer = api.client.get("/console/status")
    took = time.monotonic() - started

    assert answer.status_code == 200, answer.text
    assert took < 5, took  # two bounded looks at Temporal at most, never a hang
    checks = rows(answer.text)
    assert [row[:2] for row in checks] == [
        ["业务数据库", "正常"],
        ["超期案件", "信息"],
        ["待发通知", "信息"],
        ["Temporal", "不可用"],
        ["worker", "不可用"],
    ]
    assert checks[3][2] == f"Temporal 服务 {silent_temporal} 在 2 秒内没有回应"
    assert checks[4][2] == "无法检查：Temporal 无法连接"
    # The alert board's links, as the `xueji dev` banner prints them.
    settings = api.client.app.state.settings  # type: ignore[attr-defined]
    for name, query in ALERT_FILTERS:
        assert f'<a href="{filter_link(settings, query)}">{name}</a>' in answer.text
    assert f"{UI}/namespaces/default/workflows?query=" in answer.text
    # The nav leads here, and to the Web UI.
    assert '<a href="/console/status" aria-current="page">运行状态</a>' in answer.text
    assert f'<a href="{UI}/namespaces/default">Temporal Web UI</a>' in answer.text

    # The same through the JSON API, by the same service function.
    api.clock.advance(seconds=30)  # a TOTP code opens one login only
    token = api.token("ops", secret=secret)
    state = api.client.get("/api/status", headers={"Authorization": f"Bearer {token}"})
    assert state.status_code == 200
    body = state.json()
    assert [(c["name"], c["ok"]) for c in body["checks"]] == [
        ("业务数据库", True),
        ("超期案件", None),
        ("待发通知", None),
        ("Temporal", False),
        ("worker", False),
    ]
    assert body["checks"][3]["detail"] == checks[3][2]
    assert [link["name"] for link in body["alert_links"]] == [n for n, _ in ALERT_FILTERS]
    assert body["web_ui"] == f"{UI}/namespaces/default"


@pytest.mark.parametrize(
    ("unit", "role", "web_ui"),
    [
        ("000000", "secadmin", False),  # 三员: running the system is the sysadmin's
        ("000000", "auditor", False),
        ("110000", "sysadmin", False),  # a province's sysadmin: its accounts, not the system
        ("110000", "handler", True),  # case staff read their cases' histories in the Web UI
    ],
)
def test_only_the_top_units_sysadmin_sees_the_state(
    api: Api, unit: str, role: str, web_ui: bool
) -> None:
    secret = api.add_user("someone", unit_code=unit, role=role, totp=role != "handler")
    console_as(api.client, "someone", secret, api.clock())

    refused = api.client.get("/console/status")

    assert refused.status_code == 403
    assert "只有最上级单位（教育部）的系统管理员可以查看系统运行状态" in refused.text
    inbox = api.client.get("/console").text
    assert "运行状态</a>" not in inbox  # not in the nav either
    assert (f'<a href="{UI}/namespaces/default">Temporal Web UI</a>' in inbox) is web_ui
    api.clock.advance(seconds=30)  # a TOTP code opens one login only
    token = api.token("someone", secret=secret)
    answer = api.client.get("/api/status", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.json()["detail"] == "只有最上级单位（教育部）的系统管理员可以查看系统运行状态"


async def test_with_temporal_up_the_page_sees_the_worker_polling(system: System) -> None:
    secret = system.add_account("moe_sysadmin", unit_code=MINISTRY, role="sysadmin", totp=True)
    client = httpx.AsyncClient(transport=system.http._transport, base_url="http://xueji")
    try:
        form = {"username": "moe_sysadmin", "password": PASSWORD, "next": "/console"}
        assert secret is not None
        form["totp_code"] = totp_code(secret, system.now())
        assert (await client.post("/console/login", data=form)).status_code == 303
        queue = system.settings.temporal_task_queue
        seen: list[list[str]] = []

        async def polling() -> list[list[str]] | None:
            answer = await client.get("/console/status")
            assert answer.status_code == 200, answer.text
            seen[:] = rows(answer.text)
            return seen if seen[4][1] == "正常" else None

        checks = await eventually(polling, timeout=15, interval=0.5, failure=lambda: str(seen))
    finally:
        await client.aclose()

    address = f"{system.settings.temporal_address}，命名空间 default"
    assert checks[3] == ["Temporal", "正常", address]
    assert checks[4][:2] == ["worker", "正常"]
    assert checks[4][2].startswith(f"1 个在轮询任务队列 {queue}：")
    # No outbox schedule in this system (`xueji schedules ensure` makes it): named, and how to fix.
    schedule = system.settings.outbox_schedule_id
    assert checks[5] == [
        "通知发送",
        "不可用",
        f"定时任务 {schedule} 不存在：请运行 xueji schedules ensure",
    ]


def test_an_administrator_without_a_second_factor_is_told_to_enrol_it_first(api: Api) -> None:
    api.add_user("ops", unit_code="000000", role="sysadmin")  # no TOTP enrolled yet
    console_as(api.client, "ops", None, api.clock())

    sent = api.client.get("/console/status", follow_redirects=False)

    assert (sent.status_code, sent.headers["location"]) == (303, "/console/totp")
    token = api.token("ops")
    answer = api.client.get("/api/status", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.json()["detail"].startswith("管理员账号须先绑定动态口令")
