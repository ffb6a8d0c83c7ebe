"""Headers on every answer, nothing of the API cached, and no self-description in production."""

from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from core.keys import generate_key
from core.settings import Settings
from tests.support.api_support import Api


def test_the_login_answer_and_every_answer_carry_the_headers(api: Api) -> None:
    api.add_user("wang.li")
    login = api.login("wang.li")
    assert login.status_code == 200 and "token" in login.json()
    assert login.headers["cache-control"] == "no-store"  # it carries the bearer token
    for answer in (login, api.client.get("/track"), api.client.get("/api/complaints")):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
    assert api.client.get("/api/complaints").headers["cache-control"] == "no-store"


def test_production_serves_no_interactive_docs(tmp_path: Path) -> None:
    production = Settings(
        data_dir=tmp_path,
        environment="production",
        payload_keys=f"k1:{generate_key()}",
        store_keys=f"s1:{generate_key()}",
        lookup_key=generate_key(),
        audit_keys=f"a1:{generate_key()}",
    )
    client = TestClient(create_app(production))  # no lifespan: nothing here needs the store
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404, path
    development = TestClient(create_app(Settings(data_dir=tmp_path)))
    assert development.get("/openapi.json").status_code == 200
