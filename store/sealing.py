"""Personal data at rest: JSON sealed with AES-256-GCM, the key id kept with the data.

The same cipher as the payload codec (xueji/codec.py), with its own keys
(`XUEJI_STORE_KEYS`, same format), so store keys and Temporal keys rotate independently.
"""

import json
from typing import Any

from temporalio.api.common.v1 import Payload

from xueji.codec import codec_from_spec

_JSON = b"json/plain"


class Sealer:
    def __init__(self, key_spec: str) -> None:
        self._codec = codec_from_spec(key_spec)

    def seal(self, value: Any) -> bytes:
        plain = Payload(
            metadata={"encoding": _JSON},
            data=json.dumps(value, ensure_ascii=False).encode("utf-8"),
        )
        return self._codec.encrypt(plain).SerializeToString()

    def open(self, blob: bytes) -> Any:
        """The sealed value; DecryptionError if the key is missing or the data altered."""
        return json.loads(self._codec.decrypt(Payload.FromString(blob)).data)
