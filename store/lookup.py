"""Keyed hashes of ID card and phone numbers, for exact look-up without the clear number.

HMAC-SHA256 (HMAC-SM3 with a look-up key written `sm3:BASE64`, core.keys) over the normalized
number, so "138 1234 5678" and "+8613812345678" give the same hash; the key
(`XUEJI_LOOKUP_KEY`) keeps anyone without it from hashing every possible number. Changing the
key or its algorithm makes the stored hashes useless for look-up until `xueji keys rotate`
computes them again.
"""

from collections.abc import Callable
from typing import Literal

from core.keys import lookup_mac
from domain.ids import normalize_id_card, normalize_phone

Kind = Literal["phone", "id_card"]

_NORMALIZERS: dict[str, Callable[[str], str]] = {
    "phone": normalize_phone,
    "id_card": normalize_id_card,
}


def lookup_hash(kind: Kind, value: str, key: bytes) -> str:
    """Hex HMAC of the normalized number; InvalidIdentifier when it is not valid."""
    return keyed_hash(kind, _NORMALIZERS[kind](value), key)


def keyed_hash(label: str, value: str, key: bytes) -> str:
    """Hex HMAC (by the key's algorithm) of `label:value`: the label keeps the hashes of one
    kind of value from ever equalling another kind's."""
    return lookup_mac(key, f"{label}:{value}".encode())
