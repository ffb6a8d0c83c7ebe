"""End to end, as the users run it: the dev server, the worker and the API as separate
processes on free ports, staff of five units logged in over HTTP with the demo accounts.

One complaint goes every way the notice allows: received by the province and forwarded down
two levels to the county, transferred up to the city by a ruling on the county's dispute,
verified by two related counties, sent back once (rework), looked up by the complainant with
the query code, and closed. Midway the worker is killed and restarted, and later the dev
server is restarted; the case finishes with every step recorded once.
"""

from __future__ import annotations

import json
import re
import signal
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from store.accounts import create_user
from store.db import engine_for, session_scope
from store.migrate import upgrade
from tests.support.demo import CHANG_AN, CHANG_AN_SCHOOL, CITY, PROVINCE, QIAO_XI
from tests.support.local import WHOLE_SYSTEM
from tests.support.local_system import System, local_settings
from tests.support.waiting import eventually
from xueji.demo import accounts_path, create_demo_accounts, read_accounts
from xueji.dev import load_demo_tree_if_empty

pytestmark = WHOLE_SYSTEM

QIAO_XI_PASSWORD = "Qiaoxi-Handler-2026"
DASHBOARD = Path(__file__).resolve().parents[2] / "deploy/grafana/dashboards/xueji.json"
WAIT_SECONDS = 60.0


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    settings = local_settings(tmp_path / "data", metrics=True, log_format="json")
    upgrade(settings.store_url)
    load_demo_tree_if_empty(settings)
    create_demo_accounts(settings, datetime.now(UTC))
    engine = engine_for(settings)
    with session_scope(engine) as session:  # 桥西区 has no demo account
        create_user(
            session=session,
            username="qiaoxi.handler",
            unit_code=QIAO_XI,
            role="handler",
            password=QIAO_XI_PASSWORD,
            now=datetime.now(UTC),
        )
    engine.dispose()
    running = System(settings, tmp_path)
    try:
        for name in ("temporal", "worker", "api"):
            running.start(name)
        yield running
    finally:
        running.supervisor.stop_all()


@dataclass
class Desk:
    """One logged-in member of staff."""

    http: httpx.AsyncClient
    headers: dict[str, str]

    async def act(self, path: str, body: dict[str, Any], expected: int = 200) -> Any:
        answer = await self.http.post(path, json=body, headers=self.headers)
        assert answer.status_code == expected, (path, answer.status_code, answer.text)
        return answer.json()

    async def case(self, case_id: str) -> dict[str, Any]:
        answer = await self.http.get(f"/api/complaints/{case_id}", headers=self.headers)
        return answer.json() if answer.status_code == 200 else {}

    async def until(self, case_id: str, check: Any) -> dict[str, Any]:
        """The case once `check(case)` holds (the worker records each step a moment later)."""
        seen: dict[str, Any] = {}

        async def there() -> dict[str, Any] | None:
            nonlocal seen
            seen = await self.case(case_id)
            return seen if seen and check(seen) else None

        return await eventually(
            there,
            timeout=WAIT_SECONDS,
            interval=0.3,
            failure=lambda: f"the case never got there: {seen}",
        )


async def healthy(http: httpx.AsyncClient) -> None:
    async def answers() -> bool:
        try:
            return (await http.get("/api/health")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(
        answers, timeout=WAIT_SECONDS, interval=0.3, failure="the API never became healthy"
    )


@pytest.fixture
async def http(system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30.0) as client:
        await healthy(client)
        yield client


async def desk(http: httpx.AsyncClient, system: System, username: str) -> Desk:
    demo = read_accounts(accounts_path(system.settings))
    password = demo[username].password if username in demo else QIAO_XI_PASSWORD
    login = await http.post("/api/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text
    return Desk(http, {"Authorization": f"Bearer {login.json()['token']}"})


def stage_is(*stages: str) -> Any:
    return lambda case: case["stage"] in stages


async def test_a_complaint_goes_every_way_over_http_through_restarts(
    system: System, http: httpx.AsyncClient
) -> None:
    clerk = await desk(http, system, "hebei.clerk")
    county = await desk(http, system, "changan.handler")
    city = await desk(http, system, "sjz.handler")
    province = await desk(http, system, "hebei.leader")
    qiaoxi = await desk(http, system, "qiaoxi.handler")

    # Received by the province, about a 长安区 school: forwarded down two levels.
    complaint = {
        "channel": "phone",
        "complainant": {"name": "赵敏", "phone": "137 0311 8642"},
        "students": [{"name": "赵小川", "id_card": "11010519491231002X"}],
        "school_codes": [CHANG_AN_SCHOOL],
        "summary": "转学后原校未注销学籍，新校无法注册",
    }
    created = await clerk.act("/api/complaints", complaint, 201)
    case_id = created["id"]
    assert (created["handling_unit"], created["route"]) == (CHANG_AN, [PROVINCE, CITY, CHANG_AN])
    case = await county.until(case_id, stage_is("verify_issue"))
    forwarded = [entry["unit"] for entry in case["timeline"] if entry["kind"] == "forwarded"]
    assert forwarded == [CITY, CHANG_AN]

    # The county holds that the city must handle it (the other school's transfer is the
    # city's); the province rules so: a transfer up.
    await county.act(f"/api/complaints/{case_id}/dispute", {"proposed_unit": CITY}, 202)
    await province.until(case_id, stage_is("disputed"))
    ruling = {"handling_unit": CITY, "reason": "涉及两县学籍，由市处理"}
    await province.act(f"/api/complaints/{case_id}/ruling", ruling, 202)
    case = await city.until(
        case_id, lambda c: c["stage"] == "verify_issue" and c["handling_unit"] == CITY
    )

    # The worker dies right after the city sends verification slips to both counties.
    slips = {"addressees": [CHANG_AN, QIAO_XI], "instructions": "请核查两校学籍登记"}
    await city.act(f"/api/complaints/{case_id}/verification", slips)
    system.stop("worker", signal.SIGKILL)
    system.start("worker")
    await county.until(case_id, stage_is("verification"))
    await county.act(f"/api/complaints/{case_id}/slips/V1/return", {"response": "长安区：属实"})
    await qiaoxi.act(f"/api/complaints/{case_id}/slips/V2/return", {"response": "桥西区：属实"})
    await city.until(case_id, stage_is("opinion"))

    # The dev server restarts between the opinion and the county's result.
    opinion = {"opinion": "责成长安区第一中学注销重复学籍", "executing_units": [CHANG_AN]}
    await city.act(f"/api/complaints/{case_id}/opinion", opinion)
    system.stop("temporal", signal.SIGINT)
    system.start("temporal")
    await healthy(http)
    await county.act(f"/api/complaints/{case_id}/slips/S1/return", {"response": "已注销"})
    await city.until(case_id, stage_is("confirmation"))

    # Not good enough: one more round (rework), then confirmed, informed and closed.
    rework = {"executing_units": [CHANG_AN], "instructions": "请附注销凭证"}
    await city.act(f"/api/complaints/{case_id}/rework", rework)
    await county.act(f"/api/complaints/{case_id}/slips/S2/return", {"response": "凭证已附"})
    await city.until(case_id, stage_is("confirmation"))
    await city.act(f"/api/complaints/{case_id}/confirmation", {"conclusion": "已落实"})

    number, code = created["tracking_no"], created["query_code"]
    tracked = await http.post("/api/track", json={"tracking_no": number, "code": code})
    assert (tracked.status_code, tracked.json()["stage"]) == (200, "informing")
    informing = {
        "channel": "letter",
        "message": "赵同学的重复学籍已注销",
        "public_reply": "重复学籍已注销",
    }
    await city.act(f"/api/complaints/{case_id}/informing", informing)
    case = await city.until(case_id, stage_is("closed"))
    tracked = await http.post("/api/track", json={"tracking_no": number, "code": code})
    assert (tracked.json()["stage"], tracked.json()["finished"]) == ("closed", True)
    assert tracked.json()["reply"] == "重复学籍已注销"
    assert "赵" not in tracked.text

    # Every step once: nothing lost to the restarts, nothing done twice.
    assert sorted(slip["slip_id"] for slip in case["slips"]) == ["S1", "S2", "V1", "V2"]
    assert all(slip["status"] == "returned" for slip in case["slips"])
    kinds = Counter(entry["kind"] for entry in case["timeline"])
    assert kinds["registered"] == 1 and kinds["closed"] == 1
    assert kinds["dispute_raised"] == kinds["dispute_ruled"] == 1
    # (The follow-up clock, started just after the closing, is the workflow tests' subject.)
    steps = [step for step in case["steps"] if not step["key"].startswith("follow_up-")]
    assert [(step["key"], step["unit"], step["status"]) for step in steps] == [
        ("verify_issue-1", CHANG_AN, "stopped"),  # the dispute stopped the county's clock
        ("disputed-1", PROVINCE, "met"),
        ("verify_issue-2", CITY, "met"),
        ("slip-V1", CHANG_AN, "met"),
        ("slip-V2", QIAO_XI, "met"),
        ("opinion-1", CITY, "met"),
        ("slip-S1", CHANG_AN, "met"),
        ("confirmation-1", CITY, "met"),
        ("slip-S2", CHANG_AN, "met"),
        ("confirmation-2", CITY, "met"),
        ("informing-1", CITY, "met"),
    ]
    # The restarted worker picked the case up: the killed one wrote no personal data either.
    assert "赵" not in system.log("worker") and "13703118642" not in system.log("worker")

    # A search by the complainant's number finds the case; the API logs the route template
    # only (JSON lines), never the number searched for.
    found = await http.get("/api/complaints", params={"phone": "13703118642"}, headers=city.headers)
    assert [item["id"] for item in found.json()["items"]] == [case_id]
    refused = await http.post("/api/auth/login", json={"username": "sjz.handler", "password": "x"})
    assert refused.status_code == 401
    api_log = system.log("api")
    assert "13703118642" not in api_log and "赵" not in api_log
    access = [json.loads(line) for line in api_log.splitlines() if '"xueji.access"' in line]
    assert {"logger": "xueji.access", "level": "INFO"}.items() <= access[0].items()
    assert any(line["message"].startswith("GET /api/complaints 200 ") for line in access)

    # What ops watch: the API's and the worker's Prometheus metrics, and the dashboard shipped
    # with the compose file asks only for metrics that are there.
    settings = system.settings
    async with httpx.AsyncClient(timeout=10.0) as scraper:
        api_metrics = (
            await scraper.get(f"http://127.0.0.1:{settings.api_metrics_port}/metrics")
        ).text
        worker_metrics = (
            await scraper.get(f"http://127.0.0.1:{settings.worker_metrics_port}/metrics")
        ).text
    api_samples = samples(api_metrics)
    assert (
        api_samples['xueji_http_requests_total{method="POST",route="/api/complaints",status="201"}']
        == 1
    )
    assert api_samples['xueji_logins_refused_total{reason="credentials"}'] == 1
    assert api_samples["xueji_outbox_unsent"] > 0  # no mail server in this system
    assert "# TYPE xueji_open_cases gauge" in api_metrics  # none open: the case is closed
    worker_samples = samples(worker_metrics)
    queue = settings.temporal_task_queue
    [slots] = [
        value
        for name, value in worker_samples.items()
        if name.startswith("temporal_worker_task_slots_available{")
        and f'task_queue="{queue}"' in name
        and 'worker_type="WorkflowWorker"' in name
    ]
    assert slots > 0
    assert any(
        name.startswith("temporal_workflow_task_schedule_to_start_latency_bucket")
        for name in worker_samples
    )
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exposed = api_metrics + worker_metrics
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for metric in re.findall(r"\b(?:xueji|temporal)_\w+", target["expr"]):
                family = re.sub(r"_(bucket|total)$", "", metric)
                assert f"# TYPE {family} " in exposed or f"\n{metric}{{" in exposed, (
                    panel["title"],
                    metric,
                )


def samples(exposition: str) -> dict[str, float]:
    """The samples of a Prometheus text exposition: `name{labels}` -> value."""
    found = {}
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found
