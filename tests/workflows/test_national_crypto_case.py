"""A whole case under each choice of algorithms: AES-256-GCM with HMAC-SHA256, and the national
algorithms (SM4-GCM payloads and store, HMAC-SM3 look-up hashes); the worker, its codec and the
store as in production (sealed payloads required), on the time-skipping server."""

import base64
from pathlib import Path
from typing import Any

import pytest
from temporalio.converter import DataConverter

from core.codec import ENCODING, KEY_ID_METADATA
from core.keys import generate_key, keyed_digest
from domain.process import Stage
from store.cases import cases_by_complainant, registration
from store.db import session_scope
from store.models import Case, CaseSlip
from tests.support.demo import CHANG_AN, CITY, QIAO_XI
from tests.support.process_support import (
    CONTENT,
    NAME,
    PHONE,
    Process,
    client_with,
    running_process,
    settled,
)
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import IssueSlips, Withdraw
from workflows.messages.slip import ReturnSlip
from workflows.slip import SlipWorkflow

LOOKUP = generate_key()
SUITES = {
    "aes-sha256": {
        "payload_keys": f"p1:{generate_key('p1')}",
        "store_keys": f"s1:{generate_key('s1')}",
        "lookup_key": LOOKUP,
    },
    "sm4-sm3": {
        "payload_keys": f"sm4-p1:{generate_key('sm4-p1')}",
        "store_keys": f"sm4-s1:{generate_key('sm4-s1')}",
        "lookup_key": f"sm3:{LOOKUP}",
    },
}


@pytest.fixture(params=list(SUITES))
async def process(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with running_process(tmp_path / "data", **SUITES[request.param]) as running:
        yield running


async def test_a_whole_case_under_each_choice_of_algorithms(process: Process) -> None:
    settings = process.settings
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    await case.execute_update(
        ComplaintWorkflow.issue_verification,
        IssueSlips(actor_unit=CITY, addressees=[CHANG_AN, QIAO_XI], instructions="请核查"),
    )
    for slip_id, unit in (("V1", CHANG_AN), ("V2", QIAO_XI)):
        slip = process.env.client.get_workflow_handle(f"{case.id}.{slip_id}")
        await slip.execute_update(
            SlipWorkflow.return_slip,
            ReturnSlip(actor_unit=unit, slip_id=slip_id, response="已核实"),
        )
    await settled(case, Stage.OPINION)
    await case.signal(ComplaintWorkflow.withdraw, Withdraw(reason="问题已解决", actor_unit=CITY))
    assert (await case.result()).stage is Stage.WITHDRAWN

    # Temporal: every payload sealed under the configured payload key, nothing in clear.
    payload_key = settings.payload_keys.partition(":")[0].encode()
    raw = client_with(process, DataConverter.default)
    history = await raw.get_workflow_handle(case.id).fetch_history()
    text = history.to_json()
    assert NAME not in text and base64.b64encode(NAME.encode()).decode() not in text
    started = history.events[0].workflow_execution_started_event_attributes
    for payload in started.input.payloads:
        assert payload.metadata["encoding"] == ENCODING
        assert payload.metadata[KEY_ID_METADATA] == payload_key

    # The store: sealed under the configured store key, bound; found by the keyed hash.
    store_key = settings.store_keys.partition(":")[0].encode()
    sealer, lookup_key = process.sealer(), settings.lookup_key_bytes
    engine = process.store()
    try:
        with session_scope(engine) as session:
            row = session.get(Case, case.id)
            assert row is not None and row.sealed is not None
            assert row.sealed.startswith(b"XS2" + bytes([len(store_key)]) + store_key)
            found = registration(session, case.id, sealer)
            assert found is not None and found.content == CONTENT
            slip = session.get(CaseSlip, (case.id, "V1"))
            assert slip is not None and sealer.open_column(slip, "sealed_response") == "已核实"
            hashed = keyed_digest(
                bytes(lookup_key), f"phone:{PHONE}".encode(), lookup_key.algorithm
            )
            assert row.complainant_phone_hash == hashed
            assert lookup_key.algorithm == ("sm3" if b"sm4" in store_key else "sha256")
            by_phone = cases_by_complainant(
                session=session, kind="phone", value=PHONE, lookup_key=lookup_key
            )
            assert [c.id for c in by_phone] == [case.id]
    finally:
        engine.dispose()
