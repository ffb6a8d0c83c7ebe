"""Configuration an operator sets: deadline policy, production keys."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.main import create_app
from core.keys import DEV_AUDIT_KEY_SPEC, generate_key
from core.settings import Settings
from domain.process import DeadlinePolicy
from tests.support.local import WORKER_SCRIPT, XUEJI


def test_deadline_policy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUEJI_DEADLINE_POLICY", '{"opinion": 7, "escalate_every": 3}')
    assert Settings().deadline_policy == DeadlinePolicy(opinion=7, escalate_every=3)


def test_a_step_without_days_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUEJI_DEADLINE_POLICY", '{"opinion": 0}')
    with pytest.raises(ValidationError, match="opinion"):
        Settings()


def test_production_needs_its_own_keys() -> None:
    own = f"k1:{generate_key()}"
    lookup, audit = generate_key(), f"a1:{generate_key()}"
    assert Settings(environment="development").production_problems() == []
    problems = Settings(
        environment="production", store_keys=own, lookup_key=lookup, audit_keys=audit
    ).production_problems()
    assert problems == ["XUEJI_PAYLOAD_KEYS 使用了公开的开发密钥，生产环境必须配置自己的密钥"]
    ready = Settings(
        environment="production",
        store_keys=own,
        payload_keys=f"k2:{generate_key()}",
        lookup_key=lookup,
        audit_keys=audit,
    )
    assert ready.production_problems() == []


def test_production_needs_its_own_lookup_key() -> None:
    keys = {
        "store_keys": f"k1:{generate_key()}",
        "payload_keys": f"k2:{generate_key()}",
        "audit_keys": f"a1:{generate_key()}",
    }
    problems = Settings(environment="production", **keys).production_problems()
    assert problems == ["XUEJI_LOOKUP_KEY 使用了公开的开发密钥，生产环境必须配置自己的密钥"]


def test_production_needs_its_own_audit_key() -> None:
    keys = {
        "store_keys": f"k1:{generate_key()}",
        "payload_keys": f"k2:{generate_key()}",
        "lookup_key": generate_key(),
    }
    problems = Settings(environment="production", **keys).production_problems()
    assert problems == ["XUEJI_AUDIT_KEYS 使用了公开的开发密钥，生产环境必须配置自己的密钥"]
    # Under any id, beside a key of its own: anyone could still sign with it.
    mixed = f"a2:{generate_key()},{DEV_AUDIT_KEY_SPEC.replace('dev:', 'old:')}"
    problems = Settings(environment="production", audit_keys=mixed, **keys).production_problems()
    assert problems == ["XUEJI_AUDIT_KEYS 使用了公开的开发密钥，生产环境必须配置自己的密钥"]


@pytest.mark.parametrize(
    ("value", "why"),
    [("", "审计密钥配置为空"), ("a1:c2hvcnQ=", "应为 32 字节"), ("a1:not base64!", "base64")],
)
def test_a_malformed_audit_key_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, value: str, why: str
) -> None:
    monkeypatch.setenv("XUEJI_AUDIT_KEYS", value)
    with pytest.raises(ValidationError, match="audit_keys") as refused:
        Settings()
    assert why in str(refused.value)


@pytest.mark.parametrize("value", ["not base64!", "c2hvcnQ="])
def test_a_malformed_lookup_key_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("XUEJI_LOOKUP_KEY", value)
    with pytest.raises(ValidationError, match="lookup_key"):
        Settings()


def test_worker_refuses_to_start_in_production_with_development_keys() -> None:
    env = {**os.environ, "XUEJI_ENVIRONMENT": "production"}
    env.pop("XUEJI_PAYLOAD_KEYS", None)
    done = subprocess.run(
        [sys.executable, WORKER_SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "XUEJI_PAYLOAD_KEYS" in done.stderr and "XUEJI_STORE_KEYS" in done.stderr
    assert "XUEJI_LOOKUP_KEY" in done.stderr and "XUEJI_AUDIT_KEYS" in done.stderr


def test_api_refuses_to_start_in_production_with_development_keys(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as refused:
        create_app(Settings(data_dir=tmp_path, environment="production"))
    assert "XUEJI_PAYLOAD_KEYS" in str(refused.value) and "XUEJI_STORE_KEYS" in str(refused.value)


def test_a_wrong_variable_is_named_by_the_command_and_the_worker_without_a_traceback(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "XUEJI_PUBLIC_RATE_LIMIT": "often",
        "XUEJI_DEADLINE_POLICY": '{"opinion": 0}',
        "XUEJI_TEMPORAL_TLS_CA": str(tmp_path / "ca.pem"),
    }
    command = subprocess.run(
        [XUEJI, "calendar", "show", "2026"], env=env, capture_output=True, text=True, timeout=60
    )
    worker = subprocess.run(
        [sys.executable, WORKER_SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )

    assert command.returncode == worker.returncode == 1
    assert command.stderr == (
        "配置有误：\n"
        f"  XUEJI_TEMPORAL_TLS_CA: 文件 {tmp_path / 'ca.pem'} 不存在或无法读取\n"
        "  XUEJI_PUBLIC_RATE_LIMIT: 频率限制格式应如 30/minute、10/second 或 100/hour\n"
        "  XUEJI_DEADLINE_POLICY: opinion：应为不小于 1 的整数（工作日数）\n"
    )
    assert "refusing to start: 配置有误：" in worker.stderr
    assert "Traceback" not in command.stderr + worker.stderr


def test_the_web_ui_origin_follows_its_port(monkeypatch: pytest.MonkeyPatch) -> None:
    # The codec answers the Web UI's browser only from this origin: a moved UI must not be
    # refused (it failed closed when the origin stayed on 8233).
    monkeypatch.setenv("XUEJI_TEMPORAL_UI_PORT", "18233")
    assert Settings().temporal_ui_origin == "http://127.0.0.1:18233"
    monkeypatch.setenv("XUEJI_TEMPORAL_UI_ORIGIN", "https://temporal.example.cn")
    assert Settings().temporal_ui_origin == "https://temporal.example.cn"
    monkeypatch.delenv("XUEJI_TEMPORAL_UI_PORT")
    monkeypatch.delenv("XUEJI_TEMPORAL_UI_ORIGIN")
    assert Settings().temporal_ui_origin == "http://127.0.0.1:8233"


def test_the_api_refuses_the_development_keys_on_any_address_but_loopback() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
    done = subprocess.run(
        [XUEJI, "api", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("拒绝启动 API：\n")
    for variable in (
        "XUEJI_PAYLOAD_KEYS",
        "XUEJI_STORE_KEYS",
        "XUEJI_LOOKUP_KEY",
        "XUEJI_AUDIT_KEYS",
    ):
        assert (
            f"  {variable} 使用了公开的开发密钥，监听 0.0.0.0 时必须配置自己的密钥" in done.stderr
        )


@pytest.mark.parametrize(
    ("host", "refused"),
    [("127.0.0.1", False), ("::1", False), ("localhost", False), ("0.0.0.0", True),
     ("192.0.2.10", True), ("api.example.cn", True)],
)  # fmt: skip
def test_only_loopback_addresses_may_use_the_development_keys(host: str, refused: bool) -> None:
    assert bool(Settings().exposure_problems(host)) is refused
    own = Settings(
        payload_keys=f"k1:{generate_key()}", store_keys=f"s1:{generate_key()}",
        lookup_key=generate_key(), audit_keys=f"a1:{generate_key()}",
    )  # fmt: skip
    assert own.exposure_problems(host) == []


def test_production_reaches_a_temporal_elsewhere_only_with_mutual_tls(tmp_path: Path) -> None:
    keys = {
        "store_keys": f"k1:{generate_key()}",
        "payload_keys": f"k2:{generate_key()}",
        "lookup_key": generate_key(),
        "audit_keys": f"a1:{generate_key()}",
    }
    away = Settings(environment="production", temporal_address="temporal:7233", **keys)
    assert away.production_problems() == [
        "XUEJI_TEMPORAL_ADDRESS 指向其他主机（temporal）：生产环境必须以双向 TLS 连接"
        " Temporal（XUEJI_TEMPORAL_TLS_CERT、XUEJI_TEMPORAL_TLS_KEY）或使用 API 密钥"
    ]
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    cert.write_text("certificate")
    key.write_text("key")
    mutual = Settings(
        environment="production",
        temporal_address="temporal:7233",
        temporal_tls_cert=cert,
        temporal_tls_key=key,
        **keys,
    )
    assert mutual.production_problems() == []
    cloud = Settings(
        environment="production",
        temporal_address="ns.a1b2c.tmprl.cloud:7233",
        temporal_api_key="cloud-key",
        **keys,
    )
    assert cloud.production_problems() == []
    on_this_machine = Settings(environment="production", temporal_address="127.0.0.1:7233", **keys)
    assert on_this_machine.production_problems() == []
