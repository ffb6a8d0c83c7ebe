"""`xueji user add` on both stores: how the first sysadmin is made, and its refusals."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.settings import get_settings
from store.db import make_engine, session_scope
from store.logins import Granted, authenticate
from tests.support.api_support import PASSWORD, SEALER, SMALL_TREE, T0
from tests.support.stores import FreshStore
from xueji.cli import app

runner = CliRunner()


@pytest.fixture
def store(
    fresh_store: FreshStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    store_url = fresh_store.make(SMALL_TREE)
    monkeypatch.setenv("XUEJI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", store_url)
    get_settings.cache_clear()
    yield store_url
    get_settings.cache_clear()


def add(*args: str, password: str = PASSWORD) -> tuple[int, str]:
    result = runner.invoke(app, ["user", "add", *args, "--password-stdin"], input=password + "\n")
    return result.exit_code, result.output


def test_the_first_sysadmin_is_created_and_can_log_in(store: str) -> None:
    code, output = add("admin", "--unit", "110000", "--role", "sysadmin", "--name", "赵管理")

    assert code == 0, output
    assert "已创建账号 admin" in output
    assert PASSWORD not in output
    engine = make_engine(store)
    try:
        with session_scope(engine) as session:
            outcome = authenticate(
                session=session,
                username="admin",
                password=PASSWORD,
                totp_code=None,
                sealer=SEALER,
                now=T0.replace(year=2099),  # long expired: the password must be changed
                client_address="192.0.2.7",
            )
            assert isinstance(outcome, Granted)
            assert outcome.must_enrol_totp and outcome.must_change_password
            assert (outcome.user.role, outcome.user.display_name) == ("sysadmin", "赵管理")
    finally:
        engine.dispose()


def test_the_password_is_prompted_twice_without_stdin(store: str) -> None:
    result = runner.invoke(
        app,
        ["user", "add", "li.na", "--unit", "110101", "--role", "clerk"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--unit", "999999", "--role", "clerk"], PASSWORD, "单位代码 999999 不存在"),
        (["--unit", "110000", "--role", "boss"], PASSWORD, "角色 boss 不存在"),
        (["--unit", "110000", "--role", "clerk"], "weak", "密码长度至少 10 位"),
    ],
)
def test_refusals_name_the_problem(
    store: str, args: list[str], password: str, message: str
) -> None:
    code, output = add("li.na", *args, password=password)

    assert code == 1
    assert "账号未创建" in output and message in output


def test_a_duplicate_username_is_refused(store: str) -> None:
    assert add("li.na", "--unit", "110000", "--role", "clerk")[0] == 0

    code, output = add("li.na", "--unit", "110101", "--role", "handler")

    assert code == 1
    assert "用户名 li.na 已被使用" in output
