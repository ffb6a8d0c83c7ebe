"""Encryption of every Temporal payload, so personal data never sits in clear in history.

Each payload is serialised and sealed with AES-256-GCM under the active key; the key id
travels in the payload metadata so keys can rotate: new data uses the active key, old data
is opened with whichever configured key it names. Keys are configured as
``"k2:BASE64,k1:BASE64"`` (the first is active), see `parse_keys`.

A payload that belongs to a workflow (the SDK tells the codec through its serialization
context) is bound to it: the workflow id travels in the metadata and is authenticated as the
cipher's associated data, so it cannot be moved to another workflow. The Web UI's codec
endpoint decodes a payload only for staff who may see that workflow's case.
"""

import base64
import binascii
import copy
import functools
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
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
    JSONPlainPayloadConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
WORKFLOW_ID_METADATA = "xueji-workflow-id"  # the workflow a sealed payload belongs to
KEY_SIZE = 32  # AES-256
NONCE_SIZE = 12  # the GCM standard nonce; random per payload, stored in front of the ciphertext
TAG_SIZE = 16  # GCM's authentication tag, at the end of the ciphertext

# For local development and tests only: anyone who reads this file can decrypt data sealed
# with it. The 32 bytes spell out what it is; production start-up must refuse it (`is_dev_key`).
DEV_KEY_ID = "dev"
DEV_KEY = b"xueji-dev-key-NOT-FOR-PRODUCTION"
DEV_KEY_SPEC = f"{DEV_KEY_ID}:{base64.b64encode(DEV_KEY).decode('ascii')}"

_KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class DecryptionError(ValueError):
    """A payload cannot be decrypted (unknown key id, or altered data); never holds plaintext."""


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """AES-256-GCM over whole payloads, encrypting with the active key, decrypting with any."""

    workflow_id: str | None = None  # what `encode` binds payloads to (see `with_context`)

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if not keys:
            raise ValueError("至少需要配置一个加密密钥")
        for key_id, key in keys.items():
            if len(key) != KEY_SIZE:
                raise ValueError(
                    f"密钥 {key_id!r} 长度为 {len(key)} 字节，AES-256 需要 {KEY_SIZE} 字节"
                )
        if active_key_id not in keys:
            raise ValueError(f"当前密钥 {active_key_id!r} 不在已配置的密钥中")
        self._ciphers = {key_id: AESGCM(bytes(key)) for key_id, key in keys.items()}
        self.active_key_id = active_key_id

    @property
    def key_ids(self) -> list[str]:
        """The configured key ids, the active one first."""
        return [self.active_key_id, *(k for k in self._ciphers if k != self.active_key_id)]

    def with_context(self, context: SerializationContext) -> Self:
        """This codec bound to the workflow the payloads belong to: a workflow's input,
        result, updates and queries, and the activities it runs (the SDK calls this)."""
        workflow_id = None
        if isinstance(context, WorkflowSerializationContext | ActivitySerializationContext):
            workflow_id = context.workflow_id or None
        if workflow_id == self.workflow_id:
            return self
        bound = copy.copy(self)  # shares the ciphers
        bound.workflow_id = workflow_id
        return bound

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload, self.workflow_id) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload, workflow_id: str | None = None) -> Payload:
        """One payload sealed under the active key, bound to `workflow_id` if given (also
        used, unbound, to seal data at rest)."""
        metadata = {"encoding": ENCODING, KEY_ID_METADATA: self.active_key_id.encode()}
        bound_to = None
        if workflow_id:
            bound_to = metadata[WORKFLOW_ID_METADATA] = workflow_id.encode()
        nonce = os.urandom(NONCE_SIZE)
        cipher = self._ciphers[self.active_key_id]
        sealed = cipher.encrypt(nonce, payload.SerializeToString(), bound_to)
        return Payload(metadata=metadata, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        """One payload opened with the key it names; a payload never sealed passes through."""
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was switched on
        raw_key_id = payload.metadata.get(KEY_ID_METADATA)
        if raw_key_id is None:
            raise DecryptionError(f"加密数据缺少密钥编号（元数据 {KEY_ID_METADATA}）")
        key_id = raw_key_id.decode("utf-8", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(
                f"数据由密钥 {key_id!r} 加密，但该密钥未配置"
                f"（已配置：{', '.join(self.key_ids)}）；轮换密钥时请保留旧密钥"
            )
        tampered = DecryptionError(
            f"数据无法用密钥 {key_id!r} 解密：数据已被篡改、损坏，或该编号对应的密钥不正确"
        )
        if len(payload.data) < NONCE_SIZE + TAG_SIZE:
            raise tampered
        nonce, sealed = payload.data[:NONCE_SIZE], payload.data[NONCE_SIZE:]
        bound_to = payload.metadata.get(WORKFLOW_ID_METADATA)  # None: sealed unbound
        try:
            return Payload.FromString(cipher.decrypt(nonce, sealed, bound_to))
        except (InvalidTag, DecodeError):
            # Deliberately no detail from the data itself: it may be the plaintext.
            raise tampered from None


def parse_keys(spec: str) -> tuple[dict[str, bytes], str]:
    """Parse ``"k2:BASE64,k1:BASE64"`` into ({id: key}, active id); the first entry is active.

    Keys are standard or URL-safe base64 of 32 bytes. A bad spec raises ValueError naming the
    entry (by position and id, never by its key material) and the reason, in Chinese.
    """
    if not spec.strip():
        raise ValueError("加密密钥配置为空：格式应为 编号:BASE64密钥[,编号:BASE64密钥...]")
    keys: dict[str, bytes] = {}
    positions: dict[str, int] = {}
    for position, entry in enumerate(spec.split(","), start=1):
        entry = entry.strip()
        where = f"加密密钥配置第 {position} 项"
        if not entry:
            raise ValueError(f"{where}为空（多余的逗号？）")
        key_id, colon, encoded = (part.strip() for part in entry.partition(":"))
        if not colon:
            raise ValueError(f"{where}缺少冒号：格式应为 编号:BASE64密钥")
        if not key_id:
            raise ValueError(f"{where}缺少密钥编号（冒号前为空）")
        if not _KEY_ID_PATTERN.fullmatch(key_id):
            raise ValueError(
                f"{where}的密钥编号 {key_id!r} 无效：只能包含字母、数字、点、下划线和连字符，"
                "且以字母或数字开头"
            )
        where = f"{where}（密钥 {key_id!r}）"
        if key_id in keys:
            raise ValueError(f"{where}的编号与第 {positions[key_id]} 项重复")
        key = _decode_base64(encoded)
        if key is None:
            raise ValueError(f"{where}不是有效的 base64（标准或 URL 安全字母表均可）")
        if len(key) != KEY_SIZE:
            raise ValueError(f"{where}解码后为 {len(key)} 字节，AES-256 需要 {KEY_SIZE} 字节")
        keys[key_id] = key
        positions[key_id] = position
    return keys, next(iter(keys))


def _decode_base64(text: str) -> bytes | None:
    if not text:
        return None
    padded = text + "=" * (-len(text) % 4)
    for altchars in (b"+/", b"-_"):
        try:
            return base64.b64decode(padded, altchars=altchars, validate=True)
        except binascii.Error:
            continue
    return None


def generate_key() -> str:
    """A new random 32-byte key in standard base64, for an operator to put in the key spec."""
    return base64.b64encode(secrets.token_bytes(KEY_SIZE)).decode("ascii")


def is_dev_key(spec: str) -> bool:
    """Whether the spec configures the public development key (under any id).

    Data sealed with it is readable by anyone, so production must not use it even for
    decrypting old data. Raises ValueError for a spec that does not parse.
    """
    keys, _ = parse_keys(spec)
    return any(secrets.compare_digest(key, DEV_KEY) for key in keys.values())


def codec_from_spec(spec: str) -> EncryptionCodec:
    """The codec for a key spec as configured (see `parse_keys`)."""
    keys, active_key_id = parse_keys(spec)
    return EncryptionCodec(keys, active_key_id)


def encrypted_data_converter(codec: PayloadCodec) -> DataConverter:
    """The pydantic converter with the codec, and failure messages and traces encoded too."""
    return DataConverter(
        payload_converter_class=PydanticPayloads,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


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


class PydanticPayloads(CompositePayloadConverter):
    """The SDK's pydantic payload converter (`temporalio.contrib.pydantic`), sharing one
    cache of type adapters across the workflows of a process."""

    def __init__(self) -> None:
        super().__init__(
            *(
                _SharedAdapterJSON() if isinstance(each, JSONPlainPayloadConverter) else each
                for each in DefaultPayloadConverter.default_encoding_payload_converters
            )
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
