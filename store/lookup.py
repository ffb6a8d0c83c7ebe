"""Keyed hashes of ID card and phone numbers, for exact look-up without the clear number.

HMAC-SHA256 over the normalized number, so "138 1234 5678" and "+8613812345678" give the
same hash; the key (`XUEJI_LOOKUP_KEY`) keeps anyone without it from hashing every possible
number. Changing the key makes the stored hashes useless for look-up.
"""

import hashlib
import hmac
from collections.abc import Callable
from typing import Literal

from domain.ids import normalize_id_card, normalize_phone

Kind = Literal["phone", "id_card"]

_NORMALIZERS: dict[str, Callable[[str], str]] = {
    "phone": normalize_phone,
    "id_card": normalize_id_card,
}


def lookup_hash(kind: Kind, value: str, key: bytes) -> str:
    """Hex HMAC-SHA256 of the normalized number; InvalidIdentifier when it is not valid."""
    normalized = _NORMALIZERS[kind](value)
    message = f"{kind}:{normalized}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
