"""Encryption of every Temporal payload, so personal data never sits in clear in history.

Each payload is serialised and sealed with AES-256-GCM under the active key (core.keys); the
key id travels in the payload metadata so keys can rotate: new data uses the active key, old
data is opened with whichever configured key it names.

A payload that belongs to a workflow (the SDK tells the codec through its serialization
context) is bound to it: the workflow id travels in the metadata and is authenticated as the
cipher's associated data, so it cannot be moved to another workflow. The Web UI's codec
endpoint decodes a payload only for staff who may see that workflow's case.

Decoding for a worker or a client refuses what did not come from xueji: a payload that is not
sealed (`require_sealed`, on in production: anyone who can reach Temporal could otherwise send
a plain-JSON signal or update), and a sealed payload bound to another workflow than the one it
arrives at. A refused payload decodes to a marker that the payload converter will not turn into
a value (`RefusedPayloadConverter`): the SDK drops such a signal (and logs it), rejects such an
update or query, and fails a workflow started with it, so the workflow never acts on it.
"""

import copy
import dataclasses
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Self, cast

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    ActivitySerializationContext,
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.exceptions import ApplicationError

from core.keys import DecryptionError, Keyring, tampered_error

log = logging.getLogger(__name__)

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
WORKFLOW_ID_METADATA = "xueji-workflow-id"  # the workflow a sealed payload belongs to
REFUSED_ENCODING = "xueji/refused"  # what a refused payload decodes to (see the module doc)
REFUSED_ERROR_TYPE = "RefusedPayload"


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """AES-256-GCM over whole payloads, encrypting with the active key, decrypting with any."""

    workflow_id: str | None = None  # what `encode` binds payloads to (see `with_context`)

    def __init__(self, keyring: Keyring, *, require_sealed: bool = True) -> None:
        self._keyring = keyring
        self.require_sealed = require_sealed

    @property
    def active_key_id(self) -> str:
        return self._keyring.active_key_id

    @property
    def key_ids(self) -> list[str]:
        """The configured key ids, the active one first."""
        return self._keyring.key_ids

    def with_context(self, context: SerializationContext) -> Self:
        """This codec bound to the workflow the payloads belong to: a workflow's input,
        result, updates and queries, and the activities it runs (the SDK calls this)."""
        workflow_id = None
        if isinstance(context, WorkflowSerializationContext | ActivitySerializationContext):
            workflow_id = context.workflow_id or None
        if workflow_id == self.workflow_id:
            return self
        bound = copy.copy(self)  # shares the keyring
        bound.workflow_id = workflow_id
        return bound

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload, self.workflow_id) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.admit(payload) for payload in payloads]

    def admit(self, payload: Payload) -> Payload:
        """One payload as a worker or client may use it: opened when it is sealed and bound to
        this codec's workflow (or to none, as before the binding); a refusal marker when it is
        plain and sealing is required, or bound to another workflow."""
        if not is_sealed(payload):
            if self.require_sealed:
                return self._refused("未加密的数据（不是经本系统加密的数据）")
            return payload  # written before encryption was switched on
        bound_to = bound_workflow_id(payload)
        if self.workflow_id and bound_to is not None and bound_to != self.workflow_id:
            return self._refused("数据属于另一个流程（与所在流程不符）")
        return self.decrypt(payload)

    def _refused(self, reason: str) -> Payload:
        # Only the workflow id (opaque) is logged: never anything of the payload.
        log.warning("refused a payload for workflow %s: %s", self.workflow_id or "-", reason)
        return Payload(metadata={"encoding": REFUSED_ENCODING.encode()}, data=reason.encode())

    def encrypt(self, payload: Payload, workflow_id: str | None = None) -> Payload:
        """One payload sealed under the active key, bound to `workflow_id` if given."""
        metadata = {"encoding": ENCODING, KEY_ID_METADATA: self.active_key_id.encode()}
        bound_to = None
        if workflow_id:
            bound_to = metadata[WORKFLOW_ID_METADATA] = workflow_id.encode()
        sealed = self._keyring.seal(payload.SerializeToString(), bound_to)
        return Payload(metadata=metadata, data=sealed)

    def decrypt(self, payload: Payload) -> Payload:
        """One payload opened with the key it names; a payload never sealed passes through."""
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was switched on
        raw_key_id = payload.metadata.get(KEY_ID_METADATA)
        if raw_key_id is None:
            raise DecryptionError(f"加密数据缺少密钥编号（元数据 {KEY_ID_METADATA}）")
        key_id = raw_key_id.decode("utf-8", errors="replace")
        bound_to = payload.metadata.get(WORKFLOW_ID_METADATA)  # None: sealed unbound
        plain = self._keyring.open(key_id, payload.data, bound_to)
        try:
            return Payload.FromString(plain)
        except DecodeError:
            raise tampered_error(key_id) from None


def codec_from_spec(spec: str, *, require_sealed: bool = True) -> EncryptionCodec:
    """The codec for a key spec as configured (see `core.keys.parse_keys`); with
    `require_sealed` off, plain payloads pass through decode (development only)."""
    return EncryptionCodec(Keyring.from_spec(spec), require_sealed=require_sealed)


def encrypted_data_converter(codec: PayloadCodec) -> DataConverter:
    """The pydantic converter with the codec, and failure messages and traces encoded too."""
    return ContextCachingDataConverter(
        payload_converter_class=PydanticPayloads,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


@dataclasses.dataclass(frozen=True)
class ContextCachingDataConverter(DataConverter):
    """The SDK's data converter, keeping the converters it derives for a context.

    The worker derives a converter bound to a workflow (or to one of its activities) for
    every workflow activation and, through its command-aware converter, for each local
    activity's payloads; each derivation built a new payload converter, a new failure
    converter and a copy of the codec: a tenth of the worker's CPU on a complaint's path.
    A derived converter holds nothing but what the context gives it, so the same one serves
    every later asking with that context (the most recent 1,024 contexts are kept).
    """

    def with_context(self, context: SerializationContext) -> Self:
        return cast(Self, _with_context(self, context))


@functools.lru_cache(maxsize=1024)
def _with_context(converter: DataConverter, context: SerializationContext) -> DataConverter:
    return DataConverter.with_context(converter, context)


@functools.lru_cache(maxsize=1024)
def type_adapter(type_hint: Any) -> TypeAdapter[Any]:
    """The pydantic type adapter of `type_hint`, built once per process."""
    return TypeAdapter(type_hint)


class _SharedAdapterJSON(PydanticJSONPlainPayloadConverter):
    """Pydantic's JSON converter with its type adapters kept for the whole process.

    The worker builds a new payload converter for every workflow it runs, and with it the
    SDK's converter would build a new type adapter (a pydantic schema) for each input and
    result type: that was a sixth of the worker's CPU per new case.
    """

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        hint = Any if type_hint is None else type_hint
        try:
            adapter = type_adapter(hint)
        except TypeError:  # an unhashable hint cannot be cached; any other error is real
            try:
                hash(hint)
            except TypeError:
                adapter = TypeAdapter(hint)
            else:
                raise
        return adapter.validate_json(payload.data)


class RefusedPayloadConverter(EncodingPayloadConverter):
    """Turns the codec's refusal marker into an error instead of a value; encodes nothing."""

    @property
    def encoding(self) -> str:
        return REFUSED_ENCODING

    def to_payload(self, value: Any) -> Payload | None:
        return None

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        reason = payload.data.decode("utf-8", errors="replace")
        raise ApplicationError(
            f"已拒绝：{reason}，本系统不处理", type=REFUSED_ERROR_TYPE, non_retryable=True
        )


class PydanticPayloads(CompositePayloadConverter):
    """The SDK's pydantic payload converter (`temporalio.contrib.pydantic`), sharing one
    cache of type adapters across the workflows of a process, and refusing what the codec
    refused."""

    def __init__(self) -> None:
        # The SDK builds one of these for every workflow activation: the encoding
        # converters hold no state of their own, so every instance shares one set.
        super().__init__(*_encoding_converters())


@functools.cache
def _encoding_converters() -> tuple[EncodingPayloadConverter, ...]:
    return (
        *(
            _SharedAdapterJSON() if isinstance(each, JSONPlainPayloadConverter) else each
            for each in DefaultPayloadConverter.default_encoding_payload_converters
        ),
        RefusedPayloadConverter(),
    )


def is_sealed(payload: Payload) -> bool:
    """Whether the payload was encrypted by this codec (else it is plain and passes)."""
    return payload.metadata.get("encoding") == ENCODING


def bound_workflow_id(payload: Payload) -> str | None:
    """The workflow a sealed payload is bound to; None when it was sealed unbound."""
    raw = payload.metadata.get(WORKFLOW_ID_METADATA)
    return None if raw is None else raw.decode("utf-8", errors="replace")


def payloads_from_json(body: Mapping[str, Any]) -> Payloads:
    """The payloads of the Temporal Web UI's remote codec JSON,
    ``{"payloads": [{"metadata": {name: base64}, "data": base64}]}``; ValueError otherwise."""
    try:
        return json_format.ParseDict(dict(body), Payloads(), ignore_unknown_fields=True)
    except json_format.ParseError:
        # No parser detail: it can quote the request, which may be plaintext (for /encode).
        raise ValueError(
            '编解码请求格式不正确：应为 {"payloads": [{"metadata": {...}, "data": "base64"}]}'
        ) from None


def payloads_to_json(payloads: Payloads) -> dict[str, Any]:
    """The remote codec JSON of `payloads` (the shape `payloads_from_json` reads)."""
    body = json_format.MessageToDict(payloads)
    body.setdefault("payloads", [])  # proto JSON omits an empty list; the UI expects the key
    return body
