"""GET /api/directory through the real app, on both stores loaded with the demo tree."""

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.settings import Settings
from tests.support.demo import DEMO_UNITS_CSV


@pytest.fixture
def client(demo_store_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, database_url=demo_store_url)
    with TestClient(create_app(settings)) as client:
        yield client


def demo_units() -> list[dict[str, str]]:
    with DEMO_UNITS_CSV.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_every_unit_is_listed_by_code_with_its_contacts(client: TestClient) -> None:
    response = client.get("/api/directory")

    assert response.status_code == 200
    units = response.json()
    assert [u["code"] for u in units] == sorted(row["code"] for row in demo_units())
    assert units[0] == {
        "level": "national",
        "code": "000000",
        "name": "中华人民共和国教育部",
        "parent_code": None,
        "province_code": None,
        "complaint_phone": "0000-6000000",
        "complaint_email": "edu000000@example.invalid",
        "confirmed_at": None,
    }
    by_code = {u["code"]: u for u in units}
    assert by_code["110101"]["province_code"] == "110000"
    assert by_code["130102"]["parent_code"] == "130100"
    assert by_code["130102"]["province_code"] == "130000"


def test_filtered_by_level_and_province(client: TestClient) -> None:
    provincial = client.get("/api/directory", params={"level": "provincial"}).json()
    assert len(provincial) == sum(row["level"] == "provincial" for row in demo_units())
    assert all(u["province_code"] == u["code"] for u in provincial)

    hebei = client.get("/api/directory", params={"province": "130000"}).json()
    assert {u["code"] for u in hebei} == {
        row["code"] for row in demo_units() if row["code"].startswith("13")
    }
    counties = client.get("/api/directory", params={"province": "130000", "level": "county"})
    assert counties.json() and all(
        u["level"] == "county" and u["province_code"] == "130000" for u in counties.json()
    )
    assert client.get("/api/directory", params={"province": "990000"}).json() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("province", "13", "省级单位代码应为 6 位数字"),
        ("province", "13000a", "省级单位代码应为 6 位数字"),
        ("level", "city", "级别应为"),
    ],
)
def test_a_malformed_filter_is_refused_by_name(
    client: TestClient, field: str, value: str, message: str
) -> None:
    response = client.get("/api/directory", params={field: value})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", field]
    assert message in error["msg"]


def test_documented_in_openapi(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/directory"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {"level", "province"}
    assert "provincial" in str(params["level"]["schema"])
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response["items"]["$ref"].endswith("/DirectoryUnit")
    fields = schema["components"]["schemas"]["DirectoryUnit"]["properties"]
    assert {"level", "code", "name", "parent_code", "province_code"} <= set(fields)
    assert {"complaint_phone", "complaint_email", "confirmed_at"} <= set(fields)
