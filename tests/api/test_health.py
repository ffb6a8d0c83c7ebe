"""GET /api/health: 200 when the store and Temporal answer, 503 naming the one that doesn't."""

from fastapi.testclient import TestClient
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from core.settings import Settings
from tests.support.local import free_port


def _health(settings: Settings) -> tuple[int, dict[str, str]]:
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/health")
    return response.status_code, response.json()


def test_health_ok_with_store_and_temporal(tmp_path, dev_server: WorkflowEnvironment) -> None:
    address = dev_server.client.service_client.config.target_host
    settings = Settings(data_dir=tmp_path, temporal_address=address)

    assert _health(settings) == (200, {"status": "ok", "store": "ok", "temporal": "ok"})


def test_health_503_when_temporal_unreachable(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, temporal_address=f"127.0.0.1:{free_port()}")

    assert _health(settings) == (
        503,
        {"status": "degraded", "store": "ok", "temporal": "unreachable"},
    )


def test_health_503_when_store_unreachable(tmp_path, dev_server: WorkflowEnvironment) -> None:
    address = dev_server.client.service_client.config.target_host
    settings = Settings(
        data_dir=tmp_path,
        temporal_address=address,
        database_url=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none",
    )

    assert _health(settings) == (
        503,
        {"status": "degraded", "store": "unreachable", "temporal": "ok"},
    )
