"""Personal data at rest: JSON sealed with AES-256-GCM, the key id kept with the data.

The same cipher as the payload codec (xueji/codec.py), with its own keys
(`XUEJI_STORE_KEYS`, same format), so store keys and Temporal keys rotate independently.
"""

import json
from typing import Any

from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload

from xueji.codec import codec_from_spec

_JSON = b"json/plain"


class Sealer:
    def __init__(self, key_spec: str) -> None:
        self._codec = codec_from_spec(key_spec)

    def seal(self, value: Any, *, current: bytes | None = None) -> bytes:
        """`value` as sealed JSON. `current` (what the row holds) is returned unchanged when it
        already holds `value`: a fresh nonce would make every rewrite a different row."""
        plain = json.dumps(value, ensure_ascii=False).encode("utf-8")
        if current is not None and self._plain(current) == plain:
            return current
        payload = Payload(metadata={"encoding": _JSON}, data=plain)
        return self._codec.encrypt(payload).SerializeToString()

    def open(self, blob: bytes) -> Any:
        """The sealed value; DecryptionError if the key is missing or the data altered."""
        return json.loads(self._codec.decrypt(Payload.FromString(blob)).data)

    def _plain(self, blob: bytes) -> bytes | None:
        """The sealed JSON, or None when it cannot be opened any more (a retired key)."""
        try:
            return bytes(self._codec.decrypt(Payload.FromString(blob)).data)
        except (ValueError, DecodeError):
            return None
