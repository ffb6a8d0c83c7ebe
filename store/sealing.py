"""Personal data at rest: JSON sealed with AES-256-GCM, the key id kept with the data, the
value bound to its place in the store.

The same keyring as the payload codec (core.keys), with its own keys (`XUEJI_STORE_KEYS`, same
format), so store keys and Temporal keys rotate independently. A sealed value is

    b"XS2" | len(key id) | key id | nonce | ciphertext and tag

with its binding (`binding`: the table, the row's key and the column) as the cipher's
associated data, so a value copied to another row or column no longer opens. Values written
before the binding are still read: `XS1` (the same layout, no associated data) and, before
that, a serialised Temporal `Payload` wrapping another one (`_legacy_parts` takes them apart by
the protobuf wire format, without Temporal). `xueji keys rotate` (store/rotation.py) re-seals
them bound, under the active key; a value is also written bound whenever it changes.
"""

import json
from typing import Any

from sqlalchemy import inspect
from sqlmodel import SQLModel

from core.keys import DecryptionError, Keyring

MAGIC = b"XS2"  # bound to its place
MAGIC_UNBOUND = b"XS1"  # written before the binding: read, never written
_LEGACY_ENCODING = b"binary/encrypted"
_LEGACY_KEY_ID = "encryption-key-id"


def binding(table: str, column: str, *key: object) -> bytes:
    """The associated data of a sealed value: its table, the row's primary key and its column
    (canonical JSON, so no id can pose as another by holding a separator)."""
    return json.dumps([table, [str(part) for part in key], column], ensure_ascii=False).encode()


def row_binding(row: SQLModel, column: str) -> bytes:
    """The binding of `column` of a table row, by the row's primary key."""
    mapper = inspect(type(row))
    key = [getattr(row, mapper.get_property_by_column(part).key) for part in mapper.primary_key]
    if any(part is None for part in key):
        raise ValueError(f"{mapper.local_table.name} row has no key yet: it cannot be bound")
    return binding(str(mapper.local_table.name), column, *key)


class Sealer:
    def __init__(self, key_spec: str) -> None:
        self._keyring = Keyring.from_spec(key_spec)

    @property
    def active_key_id(self) -> str:
        return self._keyring.active_key_id

    def seal(self, value: Any, *, bound_to: bytes, current: bytes | None = None) -> bytes:
        """`value` as sealed JSON bound to `bound_to` (see `binding`). `current` (what the row
        holds) is returned unchanged when it already holds `value` bound there: a fresh nonce
        would make every rewrite a different row."""
        plain = json.dumps(value, ensure_ascii=False).encode("utf-8")
        if current and current.startswith(MAGIC) and self._plain(current, bound_to) == plain:
            return current
        return self.seal_bytes(plain, bound_to=bound_to)

    def open(self, blob: bytes, *, bound_to: bytes) -> Any:
        """The sealed value; DecryptionError if the key is missing, the data altered, or the
        value was sealed for another place than `bound_to`."""
        return json.loads(self._open_bytes(blob, bound_to))

    def seal_bytes(self, plain: bytes, *, bound_to: bytes) -> bytes:
        """`plain` (a file's bytes, not JSON) sealed the same way as `seal`, bound to
        `bound_to`; `open_bytes` opens it."""
        key_id = self._keyring.active_key_id.encode("ascii")
        return MAGIC + bytes([len(key_id)]) + key_id + self._keyring.seal(plain, bound_to)

    def open_bytes(self, blob: bytes, *, bound_to: bytes) -> bytes:
        """The bytes `seal_bytes` sealed; DecryptionError as `open`."""
        return self._open_bytes(blob, bound_to)

    def seal_column(self, row: SQLModel, column: str, value: Any) -> None:
        """Seal `value` into `column` of `row`, bound to that row and column."""
        current = getattr(row, column)
        setattr(row, column, self.seal(value, bound_to=row_binding(row, column), current=current))

    def open_column(self, row: SQLModel, column: str) -> Any:
        """The value sealed in `column` of `row` (None when the column is empty)."""
        blob = getattr(row, column)
        return None if blob is None else self.open(blob, bound_to=row_binding(row, column))

    def is_current(self, blob: bytes) -> bool:
        """Whether `blob` is in the bound format under the active key (what rotation makes)."""
        return blob.startswith(MAGIC) and self._key_id(blob) == self._keyring.active_key_id

    def _key_id(self, blob: bytes) -> str:
        start = len(MAGIC) + 1
        return blob[start : start + blob[len(MAGIC)]].decode("ascii", errors="replace")

    def _open_bytes(self, blob: bytes, bound_to: bytes) -> bytes:
        for magic, associated in ((MAGIC, bound_to), (MAGIC_UNBOUND, None)):
            if blob.startswith(magic) and len(blob) > len(magic):
                end = len(magic) + 1 + blob[len(magic)]
                return self._keyring.open(self._key_id(blob), blob[end:], associated)
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

    def _plain(self, blob: bytes, bound_to: bytes) -> bytes | None:
        """The sealed JSON, or None when it cannot be opened any more (a retired key)."""
        try:
            return self._open_bytes(blob, bound_to)
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
