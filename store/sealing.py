"""Personal data at rest: JSON sealed with AES-256-GCM, the key id kept with the data.

The same keyring as the payload codec (core.keys), with its own keys (`XUEJI_STORE_KEYS`, same
format), so store keys and Temporal keys rotate independently. A sealed value is

    b"XS1" | len(key id) | key id | nonce | ciphertext and tag

Rows sealed before this format (a serialised Temporal `Payload` wrapping another one) are
still read: `_legacy_parts` takes them apart by the protobuf wire format, without Temporal.
"""

import json
from typing import Any

from core.keys import DecryptionError, Keyring

MAGIC = b"XS1"
_LEGACY_ENCODING = b"binary/encrypted"
_LEGACY_KEY_ID = "encryption-key-id"


class Sealer:
    def __init__(self, key_spec: str) -> None:
        self._keyring = Keyring.from_spec(key_spec)

    def seal(self, value: Any, *, current: bytes | None = None) -> bytes:
        """`value` as sealed JSON. `current` (what the row holds) is returned unchanged when it
        already holds `value`: a fresh nonce would make every rewrite a different row."""
        plain = json.dumps(value, ensure_ascii=False).encode("utf-8")
        if current is not None and self._plain(current) == plain:
            return current
        key_id = self._keyring.active_key_id.encode("ascii")
        return MAGIC + bytes([len(key_id)]) + key_id + self._keyring.seal(plain)

    def open(self, blob: bytes) -> Any:
        """The sealed value; DecryptionError if the key is missing or the data altered."""
        return json.loads(self._open_bytes(blob))

    def _open_bytes(self, blob: bytes) -> bytes:
        if blob.startswith(MAGIC) and len(blob) > len(MAGIC):
            start = len(MAGIC) + 1
            end = start + blob[len(MAGIC)]
            key_id = blob[start:end].decode("ascii", errors="replace")
            return self._keyring.open(key_id, blob[end:])
        return self._open_legacy(blob)

    def _open_legacy(self, blob: bytes) -> bytes:
        unreadable = DecryptionError("封存数据格式无法识别")
        try:
            metadata, sealed = _legacy_parts(blob)
        except ValueError:
            raise unreadable from None
        if metadata.get("encoding") != _LEGACY_ENCODING or _LEGACY_KEY_ID not in metadata:
            raise unreadable
        key_id = metadata[_LEGACY_KEY_ID].decode("utf-8", errors="replace")
        try:
            _, plain = _legacy_parts(self._keyring.open(key_id, sealed))
        except ValueError as exc:
            if isinstance(exc, DecryptionError):
                raise
            raise unreadable from None
        return plain

    def _plain(self, blob: bytes) -> bytes | None:
        """The sealed JSON, or None when it cannot be opened any more (a retired key)."""
        try:
            return self._open_bytes(blob)
        except ValueError:
            return None


def _legacy_parts(message: bytes) -> tuple[dict[str, bytes], bytes]:
    """(metadata, data) of a serialised `temporal.api.common.v1.Payload`: field 1 is a map of
    string to bytes (entries with key 1 and value 2), field 2 the data; ValueError otherwise."""
    metadata: dict[str, bytes] = {}
    data = b""
    for field, value in _length_delimited_fields(message):
        if field == 1:
            entry = dict(_length_delimited_fields(value))
            metadata[entry.get(1, b"").decode("utf-8")] = entry.get(2, b"")
        elif field == 2:
            data = value
    return metadata, data


def _length_delimited_fields(message: bytes) -> list[tuple[int, bytes]]:
    fields, position = [], 0
    while position < len(message):
        tag, position = _varint(message, position)
        if tag & 7 != 2:  # a Payload has nothing but length-delimited fields
            raise ValueError("not a length-delimited field")
        length, position = _varint(message, position)
        if position + length > len(message):
            raise ValueError("field runs past the end")
        fields.append((tag >> 3, message[position : position + length]))
        position += length
    return fields


def _varint(message: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if position >= len(message) or shift > 63:
            raise ValueError("truncated varint")
        byte = message[position]
        value |= (byte & 0x7F) << shift
        position, shift = position + 1, shift + 7
        if not byte & 0x80:
            return value, position
