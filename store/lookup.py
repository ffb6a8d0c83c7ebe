"""Keyed hashes of ID card and phone numbers, for exact look-up without the clear number.

HMAC-SHA256 over the normalized number, so "138 1234 5678" and "+8613812345678" give the
same hash; the key (`XUEJI_LOOKUP_KEY`) keeps anyone without it from hashing every possible
number. Changing the key makes the stored hashes useless for look-up.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Literal

from domain.ids import normalize_id_card, normalize_phone

Kind = Literal["phone", "id_card"]
KEY_SIZE = 32
DEV_LOOKUP_KEY = base64.b64encode(b"xueji-dev-lookup-NOT-FOR-PRODUCT").decode("ascii")

_NORMALIZERS: dict[str, Callable[[str], str]] = {
    "phone": normalize_phone,
    "id_card": normalize_id_card,
}


def parse_lookup_key(value: str) -> bytes:
    """The 32-byte key from its standard base64; ValueError when it is not that."""
    try:
        key = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError("查询密钥应为 base64 编码") from None
    if len(key) != KEY_SIZE:
        raise ValueError(f"查询密钥应为 {KEY_SIZE} 字节，实际 {len(key)} 字节")
    return key


def is_dev_lookup_key(value: str) -> bool:
    return secrets.compare_digest(parse_lookup_key(value), parse_lookup_key(DEV_LOOKUP_KEY))


def lookup_hash(kind: Kind, value: str, key: bytes) -> str:
    """Hex HMAC-SHA256 of the normalized number; InvalidIdentifier when it is not valid."""
    normalized = _NORMALIZERS[kind](value)
    message = f"{kind}:{normalized}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
