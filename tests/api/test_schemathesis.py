"""Every operation of the OpenAPI schema, fed examples generated from it (schemathesis): none
may answer 500. The real app on a migrated SQLite store with the demo tree, each operation
called by a logged-in user of the role that may use it (administrators with TOTP), so the
examples reach the code behind the role checks; Temporal is unreachable, so operations that
need it may answer 503 (schemathesis' own `not_a_server_error` would count those too, hence
`not_a_500`)."""

import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

from api.main import create_app
from core.settings import Settings
from domain.roles import ADMIN_ROLES
from store.db import engine_for, session_scope
from tests.support.api_support import create_account
from tests.support.local import free_port
from tests.support.process_support import prepare_store

PASSWORD = "Correct-Horse-7"
MAX_EXAMPLES = 15


# The schema is loaded when pytest collects this module (schemathesis' `from_fixture` does not
# work with pytest 9), so the app is made here; its store is prepared before the first call.
DATA = Path(tempfile.mkdtemp(prefix="xueji-schemathesis-"))
CONFIG = Settings(
    data_dir=DATA,
    database_url=f"sqlite:///{DATA / 'store.db'}",
    temporal_address=f"127.0.0.1:{free_port()}",  # nothing listens: Temporal is down
    public_rate_limit="100000/minute",
    login_rate_limit="100000/minute",
)
APP = create_app(CONFIG)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def role_for(path: str, method: str) -> str:
    """The role that may call the operation (DESIGN §7); staff operations go to a clerk."""
    if path.startswith("/api/admin/password-policy"):
        return "secadmin"
    if path.startswith(("/api/admin/", "/api/org/")):
        return "sysadmin"
    if path.startswith("/api/audit"):
        return "auditor"
    if path.startswith("/api/calendar") and method == "POST":
        return "secadmin"
    if path.startswith("/api/faq") and method != "GET":
        return "handler"
    if path == "/api/campaigns/plan":
        return "handler"  # of the province, which may open campaigns
    return "clerk"


@pytest.fixture(scope="module")
def headers_of_role() -> Iterator[dict[str, dict[str, str]]]:
    """A migrated store with the demo tree and one logged-in user a role: the clerk and the
    handler of 河北省教育厅, and the administrators of the Ministry with TOTP enrolled."""
    prepare_store(CONFIG)
    engine = engine_for(CONFIG)
    with session_scope(engine) as session:
        secrets = {
            role: create_account(
                session,
                username=role,
                unit_code="000000" if role in ADMIN_ROLES else "130000",
                role=role,
                password=PASSWORD,
                now=datetime.now(UTC),
                totp=role in ADMIN_ROLES,
            )
            for role in ("clerk", "handler", "sysadmin", "secadmin", "auditor")
        }
    engine.dispose()
    yield {role: bearer_of_new_session(role, secret) for role, secret in secrets.items()}
    shutil.rmtree(DATA, ignore_errors=True)


def bearer_of_new_session(username: str, secret: str | None = None) -> dict[str, str]:
    code = pyotp.TOTP(secret).now() if secret else None
    with asgi.get_client(APP) as client:
        answer = client.post(
            f"http://{asgi.HOST}/api/auth/login",
            json={"username": username, "password": PASSWORD, "totp_code": code},
        )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def not_a_500(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx but 503: a refusal because Temporal is down is an answer, a crash is not."""
    if response.status_code >= 500 and response.status_code != 503:
        raise AssertionError(f"{response.status_code}: {response.text[:500]}")
    return None


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_operation_answers_500(case: Any, headers_of_role: dict[str, dict[str, str]]) -> None:
    headers = headers_of_role[role_for(case.operation.path, case.operation.method.upper())]
    if case.operation.path == "/api/auth/logout":
        headers = bearer_of_new_session("clerk")  # its own session: the others' stay valid
    case.call_and_validate(headers=headers, checks=[not_a_500])
