"""TLS behind a proxy: HSTS and Secure cookies when the request came over TLS, the scheme and
the caller's address believed from X-Forwarded-* only when a trusted proxy sends them."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlmodel import select

from api.main import create_app
from core.settings import Settings
from store.accounts import create_user
from store.db import engine_for, session_scope
from store.logins import name_hash
from store.models import LoginFailure
from tests.support.api_support import Clock
from tests.support.process_support import prepare_store

PASSWORD = "Correct-Horse-7"
PROXY = "10.0.0.5"
OVER_TLS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}

Client = Callable[[str, str], httpx.AsyncClient]


@pytest.fixture
async def client_from(tmp_path: Path) -> AsyncIterator[Client]:
    """HTTP clients of the app from an address, by http or https; the proxy 10.0.0.5 and the
    network 10.1.0.0/16 trusted."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        trusted_proxies=f"{PROXY}, 10.1.0.0/16",
    )
    prepare_store(settings)
    clock = Clock()  # the app's and the account's time: pinned, not the day the test runs
    engine = engine_for(settings)
    with session_scope(engine) as session:
        create_user(
            session=session, username="wang.li", unit_code="130000", role="handler",
            password=PASSWORD, now=clock(),
        )  # fmt: skip
    engine.dispose()
    app = create_app(settings, clock=clock)
    clients: list[httpx.AsyncClient] = []

    def make(address: str, scheme: str = "http") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        clients.append(httpx.AsyncClient(transport=transport, base_url=f"{scheme}://xueji"))
        return clients[-1]

    async with app.router.lifespan_context(app):
        yield make
        for client in clients:
            await client.aclose()


def cookie_parts(response: httpx.Response) -> set[str]:
    return {part.strip().lower() for part in response.headers["set-cookie"].split(";")}


async def login(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    body = {"username": "wang.li", "password": PASSWORD}
    return await client.post("/api/auth/login", json=body, headers=headers)


async def test_over_tls_from_a_trusted_proxy_hsts_and_secure_cookies(client_from: Client) -> None:
    for proxy in (PROXY, "10.1.2.3"):
        answer = await login(client_from(proxy, "http"), OVER_TLS)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "secure" in cookie_parts(answer)
    page = await client_from(PROXY, "http").get("/track", headers=OVER_TLS)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    console = await client_from(PROXY, "http").post(
        "/console/login", data={"username": "wang.li", "password": PASSWORD}, headers=OVER_TLS
    )
    assert console.status_code == 303
    cookies = console.headers.get_list("set-cookie")  # the console's and the codec's
    assert len(cookies) == 2
    assert all("secure" in {part.strip().lower() for part in c.split(";")} for c in cookies)


async def test_tls_to_the_api_itself_gets_them_too(client_from: Client) -> None:
    answer = await login(client_from("203.0.113.7", "https"), {})
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "secure" in cookie_parts(answer)


async def test_forwarded_headers_from_anyone_else_are_not_believed(client_from: Client) -> None:
    answer = await login(client_from("198.51.100.9", "http"), OVER_TLS)
    assert answer.status_code == 200
    assert "Strict-Transport-Security" not in answer.headers
    assert "secure" not in cookie_parts(answer)
    plain = await login(client_from(PROXY, "http"), {})  # the proxy, over plain http
    assert "Strict-Transport-Security" not in plain.headers
    assert "secure" not in cookie_parts(plain)


async def test_the_caller_behind_a_trusted_proxy_is_the_forwarded_address(
    client_from: Client, tmp_path: Path
) -> None:
    wrong = {"username": "wang.li", "password": "Not-The-Password-1"}
    await client_from(PROXY).post("/api/auth/login", json=wrong, headers=OVER_TLS)
    spoofed = {"X-Forwarded-For": "192.0.2.99"}  # not from a proxy: its own address counts
    await client_from("198.51.100.9").post("/api/auth/login", json=wrong, headers=spoofed)

    engine = engine_for(
        Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'store.db'}")
    )
    with session_scope(engine) as session:
        rows = session.exec(select(LoginFailure)).all()
        failures = {(row.address, row.name_hash) for row in rows}
    engine.dispose()
    assert failures == {
        ("203.0.113.7", name_hash("wang.li")),
        ("198.51.100.9", name_hash("wang.li")),
    }


def test_trusted_proxies_come_from_the_environment_and_are_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().trusted_proxies == "127.0.0.1"
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.1")  # uvicorn's name, read as well
    assert Settings().trusted_proxies == "10.0.0.1"
    monkeypatch.setenv("XUEJI_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    assert Settings().trusted_proxies == "10.0.0.0/8, 192.0.2.1"
    monkeypatch.setenv("XUEJI_TRUSTED_PROXIES", "proxy.local")
    with pytest.raises(ValidationError, match=r"可信代理地址无效：'proxy\.local'"):
        Settings()
