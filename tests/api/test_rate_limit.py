"""Rate limits per client address on the public endpoints and login (slowapi): over the limit
an address gets 429 with a Chinese message and Retry-After, while other addresses go on."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from api.main import create_app
from core.settings import Settings
from domain.ids import new_tracking_no
from store.accounts import create_user
from store.db import engine_for, session_scope
from tests.support.process_support import prepare_store
from tests.support.stores import MIGRATED, copy_sqlite

PASSWORD = "Correct-Horse-7"
TRACK = "/api/track"
ASKED = {"tracking_no": new_tracking_no(date(2030, 3, 4), "K7QX3M"), "code": "123456"}

Client = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def client_from(tmp_path: Path) -> AsyncIterator[Client]:
    """HTTP clients of the app, each from the address it is given; limits of 3 a minute."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        public_rate_limit="3/minute",
        login_rate_limit="2/minute",
    )
    prepare_store(settings)
    engine = engine_for(settings)
    with session_scope(engine) as session:
        create_user(
            session=session,
            username="clerk",
            unit_code="130000",
            role="clerk",
            password=PASSWORD,
            now=datetime.now(UTC),
        )
    engine.dispose()
    app = create_app(settings)
    clients: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://xueji"))
        return clients[-1]

    async with app.router.lifespan_context(app):
        yield make
        for client in clients:
            await client.aclose()


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 60
    assert response.json() == {"detail": f"请求过于频繁，请 {seconds} 秒后再试"}


@pytest.mark.parametrize(
    ("page", "title"), [("/directory", "投诉电话和邮箱"), ("/faq", "常见问题解答")]
)
async def test_a_public_page_over_its_limit_answers_with_a_page(
    client_from: Client, page: str, title: str
) -> None:
    busy = client_from("203.0.113.7")
    for _ in range(3):
        assert (await busy.get(page)).status_code == 200
    refused = await busy.get(page)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    seconds = int(refused.headers["Retry-After"])
    assert 1 <= seconds <= 60
    assert f"请求过于频繁，请 {seconds} 秒后再试" in refused.text and title in refused.text
    assert (await client_from("198.51.100.9").get(page)).status_code == 200
    assert (await busy.get("/api/directory")).status_code == 200  # a count of its own


async def test_the_directory_refuses_an_address_over_its_limit_but_not_others(
    client_from: Client,
) -> None:
    busy, other = client_from("203.0.113.7"), client_from("198.51.100.9")
    for _ in range(3):
        assert (await busy.get("/api/directory")).status_code == 200

    assert_refused(await busy.get("/api/directory"))
    assert (await other.get("/api/directory")).status_code == 200


@pytest.mark.parametrize("path", ["/api/faq"])
async def test_the_faq_is_limited_too(client_from: Client, path: str) -> None:
    busy, other = client_from("203.0.113.7"), client_from("198.51.100.9")
    for _ in range(3):
        assert (await busy.get(path)).status_code == 200

    assert_refused(await busy.get(path))
    assert (await other.get(path)).status_code == 200
    assert (await busy.get("/api/directory")).status_code == 200  # a count of its own


async def test_tracking_is_limited_apart_from_the_directory(client_from: Client) -> None:
    busy, other = client_from("203.0.113.7"), client_from("198.51.100.9")
    for _ in range(3):
        assert (await busy.post(TRACK, json=ASKED)).status_code == 404  # none: still counted

    assert_refused(await busy.post(TRACK, json=ASKED))
    assert (await other.post(TRACK, json=ASKED)).status_code == 404
    assert (await busy.get("/api/directory")).status_code == 200  # a count of its own


async def test_the_tracking_page_and_api_share_one_limit_on_guessing_codes(
    client_from: Client,
) -> None:
    busy = client_from("203.0.113.7")
    assert (await busy.post(TRACK, json=ASKED)).status_code == 404
    assert (await busy.post("/track", data=ASKED)).status_code == 404
    assert (await busy.post(TRACK, json=ASKED)).status_code == 404

    refused = await busy.post("/track", data=ASKED)
    assert refused.status_code == 429 and "投诉办理进度查询" in refused.text
    assert_refused(await busy.post(TRACK, json=ASKED))
    assert (await client_from("198.51.100.9").post("/track", data=ASKED)).status_code == 404
    assert (await busy.get("/track")).status_code == 200  # the empty form: a count of its own


async def test_login_attempts_are_limited_per_address(client_from: Client) -> None:
    busy, other = client_from("203.0.113.7"), client_from("198.51.100.9")
    wrong = {"username": "clerk", "password": "wrong-password-1"}
    for _ in range(2):
        assert (await busy.post("/api/auth/login", json=wrong)).status_code == 401

    right = {"username": "clerk", "password": PASSWORD}
    assert_refused(await busy.post("/api/auth/login", json=right))
    assert (await other.post("/api/auth/login", json=right)).status_code == 200


async def test_the_default_limits_allow_30_public_requests_a_minute(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'store.db'}")
    assert (settings.public_rate_limit, settings.login_rate_limit) == ("30/minute", "10/minute")
    assert settings.store_file is not None
    copy_sqlite(MIGRATED, settings.store_file)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://xueji") as busy:
            answers = [(await busy.get("/api/directory")).status_code for _ in range(31)]
        transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://xueji") as other:
            assert (await other.get("/api/directory")).status_code == 200
    assert answers == [200] * 30 + [429]


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUEJI_PUBLIC_RATE_LIMIT", "100/hour")
    monkeypatch.setenv("XUEJI_LOGIN_RATE_LIMIT", "5/minute")
    settings = Settings()
    assert (settings.public_rate_limit, settings.login_rate_limit) == ("100/hour", "5/minute")

    monkeypatch.setenv("XUEJI_LOGIN_RATE_LIMIT", "often")
    with pytest.raises(ValidationError, match="频率限制格式"):
        Settings()


def test_documented_in_openapi(tmp_path: Path) -> None:
    schema = create_app(Settings(data_dir=tmp_path)).openapi()
    for path, method in [
        ("/api/directory", "get"),
        ("/api/track", "post"),
        ("/api/auth/login", "post"),
    ]:
        assert "429" in schema["paths"][path][method]["responses"]
