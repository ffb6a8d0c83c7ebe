"""Keys and the authenticated-encryption keyring that the payload codec and the store's
sealing share, and the keyed hashes of the look-up key and the audit chain.

Keys are configured as ``"k2:BASE64,k1:BASE64"`` (the first is active, see `parse_keys`): new
data is sealed under the active key, old data is opened with whichever configured key it
names, so keys rotate without re-encrypting. The look-up key for keyed hashes of ID and phone
numbers is one 32-byte key (`parse_lookup_key`). The audit keys (`AuditKeys`) key the audit
log's HMAC chain, in the same format: the first signs, all verify.

The key id names the algorithm, so the national algorithms (商用密码) are a configuration
choice and a deployment moves to them by rotation while old data stays readable: an
encryption key whose id starts with ``sm4`` is an SM4-GCM key (16 bytes), any other an
AES-256-GCM key (32 bytes); an audit key whose id starts with ``sm3`` keys HMAC-SM3, any other
HMAC-SHA256; a look-up key written ``sm3:BASE64`` keys HMAC-SM3, plain ``BASE64`` HMAC-SHA256.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from typing import Literal, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_SIZE = 32  # AES-256, and every HMAC key
SM4_KEY_SIZE = 16  # SM4 has 128-bit keys only
SM4_PREFIX = "sm4"  # an encryption key id starting so is an SM4-GCM key
SM3_PREFIX = "sm3"  # an audit key id (or a look-up key) starting so keys HMAC-SM3
HashName = Literal["sha256", "sm3"]
NONCE_SIZE = 12  # the GCM standard nonce; random per message, stored in front of the ciphertext
TAG_SIZE = 16  # GCM's authentication tag, at the end of the ciphertext

# For local development and tests only: anyone who reads this file can decrypt data sealed
# with it. The 32 bytes spell out what it is; production start-up must refuse it (`is_dev_key`).
DEV_KEY_ID = "dev"
DEV_KEY = b"xueji-dev-key-NOT-FOR-PRODUCTION"
DEV_KEY_SPEC = f"{DEV_KEY_ID}:{base64.b64encode(DEV_KEY).decode('ascii')}"
DEV_LOOKUP_KEY = base64.b64encode(b"xueji-dev-lookup-NOT-FOR-PRODUCT").decode("ascii")
DEV_AUDIT_KEY = b"xueji-dev-audit-key-NOT-FOR-PROD"
DEV_AUDIT_KEY_SPEC = f"{DEV_KEY_ID}:{base64.b64encode(DEV_AUDIT_KEY).decode('ascii')}"
# The local SMS gateway's access key and secret (`xueji dev`, the tests): public as well.
DEV_SMS_ACCESS_KEY = "xueji-dev"
DEV_SMS_SECRET = "xueji-dev-sms-secret-NOT-FOR-PRODUCTION"

_KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def is_sm4_key_id(key_id: str) -> bool:
    """Whether the encryption key of that id is an SM4-GCM key (else AES-256-GCM)."""
    return key_id.lower().startswith(SM4_PREFIX)


def cipher_key_size(key_id: str) -> int:
    return SM4_KEY_SIZE if is_sm4_key_id(key_id) else KEY_SIZE


def hash_of_key_id(key_id: str) -> HashName:
    """The hash an HMAC key of that id keys: SM3 for ids starting with sm3, else SHA-256."""
    return "sm3" if key_id.lower().startswith(SM3_PREFIX) else "sha256"


def digest(data: bytes, algorithm: HashName = "sha256") -> str:
    """The hex hash of `data` by SHA-256 or SM3 (GB/T 32905)."""
    if algorithm == "sha256":
        return hashlib.sha256(data).hexdigest()
    hasher = hashes.Hash(hashes.SM3())
    hasher.update(data)
    return hasher.finalize().hex()


def keyed_digest(key: bytes, data: bytes, algorithm: HashName = "sha256") -> str:
    """The hex HMAC of `data` under `key`, by SHA-256 or SM3."""
    if algorithm == "sha256":
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


class _Aead(Protocol):
    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes: ...
    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes: ...


class SM4GCM:
    """SM4 in GCM mode (GB/T 32907, as RFC 8998 uses it), with the AESGCM interface:
    ciphertext followed by the 16-byte tag; InvalidTag when it does not authenticate."""

    def __init__(self, key: bytes) -> None:
        self._algorithm = algorithms.SM4(key)

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes:
        encryptor = Cipher(self._algorithm, modes.GCM(nonce)).encryptor()
        if associated_data:
            encryptor.authenticate_additional_data(associated_data)
        return encryptor.update(data) + encryptor.finalize() + encryptor.tag

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes:
        if len(data) < TAG_SIZE:
            raise InvalidTag
        mode = modes.GCM(nonce, data[-TAG_SIZE:])
        decryptor = Cipher(self._algorithm, mode).decryptor()
        if associated_data:
            decryptor.authenticate_additional_data(associated_data)
        return decryptor.update(data[:-TAG_SIZE]) + decryptor.finalize()


class DecryptionError(ValueError):
    """Data cannot be decrypted (unknown key id, or altered data); never holds plaintext."""


def tampered_error(key_id: str) -> DecryptionError:
    """What opening altered data says: deliberately nothing from the data (it may be plain)."""
    return DecryptionError(
        f"数据无法用密钥 {key_id!r} 解密：数据已被篡改、损坏，或该编号对应的密钥不正确"
    )


class Keyring:
    """AES-256-GCM or SM4-GCM (by the key id, see the module doc) under the active key,
    opening with any configured key by its id."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if not keys:
            raise ValueError("至少需要配置一个加密密钥")
        for key_id, key in keys.items():
            if len(key) != cipher_key_size(key_id):
                raise ValueError(
                    f"密钥 {key_id!r} 长度为 {len(key)} 字节，{_cipher_name(key_id)} 需要 "
                    f"{cipher_key_size(key_id)} 字节"
                )
        if active_key_id not in keys:
            raise ValueError(f"当前密钥 {active_key_id!r} 不在已配置的密钥中")
        self._ciphers: dict[str, _Aead] = {
            key_id: SM4GCM(bytes(key)) if is_sm4_key_id(key_id) else AESGCM(bytes(key))
            for key_id, key in keys.items()
        }
        self.active_key_id = active_key_id

    @classmethod
    def from_spec(cls, spec: str) -> "Keyring":
        """The keyring of a key spec as configured (see `parse_keys`)."""
        keys, active_key_id = parse_keys(spec)
        return cls(keys, active_key_id)

    @property
    def key_ids(self) -> list[str]:
        """The configured key ids, the active one first."""
        return [self.active_key_id, *(k for k in self._ciphers if k != self.active_key_id)]

    def seal(self, plain: bytes, associated: bytes | None = None) -> bytes:
        """Nonce and ciphertext of `plain` under the active key, `associated` authenticated."""
        nonce = os.urandom(NONCE_SIZE)
        return nonce + self._ciphers[self.active_key_id].encrypt(nonce, plain, associated)

    def open(self, key_id: str, sealed: bytes, associated: bytes | None = None) -> bytes:
        """The plaintext of what `seal` gave under `key_id`; DecryptionError otherwise."""
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(
                f"数据由密钥 {key_id!r} 加密，但该密钥未配置"
                f"（已配置：{', '.join(self.key_ids)}）；轮换密钥时请保留旧密钥"
            )
        tampered = tampered_error(key_id)
        if len(sealed) < NONCE_SIZE + TAG_SIZE:
            raise tampered
        try:
            return cipher.decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], associated)
        except InvalidTag:
            # Deliberately no detail from the data itself: it may be the plaintext.
            raise tampered from None


def _cipher_name(key_id: str) -> str:
    return "SM4" if is_sm4_key_id(key_id) else "AES-256"


def parse_keys(
    spec: str, *, kind: str = "加密密钥", cipher: bool = True
) -> tuple[dict[str, bytes], str]:
    """Parse ``"k2:BASE64,k1:BASE64"`` into ({id: key}, active id); the first entry is active.

    Keys are standard or URL-safe base64 of 32 bytes (16 for an encryption key whose id
    starts with sm4; `cipher` False for HMAC keys, always 32). A bad spec raises ValueError
    naming the entry (by position and id, never by its key material) and the reason, in
    Chinese; `kind` names the keys in it ("审计密钥").
    """
    if not spec.strip():
        raise ValueError(f"{kind}配置为空：格式应为 编号:BASE64密钥[,编号:BASE64密钥...]")
    keys: dict[str, bytes] = {}
    positions: dict[str, int] = {}
    for position, entry in enumerate(spec.split(","), start=1):
        entry = entry.strip()
        where = f"{kind}配置第 {position} 项"
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
        size = cipher_key_size(key_id) if cipher else KEY_SIZE
        if len(key) != size:
            raise ValueError(f"{where}解码后为 {len(key)} 字节，应为 {size} 字节")
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


def generate_key(key_id: str = "") -> str:
    """A new random key in standard base64 for an operator to put in the key spec: 32 bytes,
    16 for an SM4 key id."""
    size = cipher_key_size(key_id) if key_id else KEY_SIZE
    return base64.b64encode(secrets.token_bytes(size)).decode("ascii")


def is_dev_key(spec: str) -> bool:
    """Whether the spec configures the public development key (under any id).

    Data sealed with it is readable by anyone, so production must not use it even for
    decrypting old data. Raises ValueError for a spec that does not parse.
    """
    keys, _ = parse_keys(spec)
    return any(secrets.compare_digest(key, DEV_KEY) for key in keys.values())


class LookupKey(bytes):
    """The look-up key's 32 bytes, and the HMAC it keys (`algorithm`)."""

    algorithm: HashName = "sha256"

    def mac(self, data: bytes) -> str:
        """The hex HMAC of `data` under this key, by its algorithm."""
        return keyed_digest(bytes(self), data, self.algorithm)


def parse_lookup_key(value: str) -> LookupKey:
    """The 32-byte look-up key from its standard base64, ``sm3:`` in front for HMAC-SM3;
    ValueError when it is not that."""
    prefix, colon, rest = value.partition(":")
    sm3 = bool(colon) and prefix.strip().lower() == SM3_PREFIX
    try:
        key = LookupKey(base64.b64decode(rest if sm3 else value, validate=True))
    except binascii.Error:
        raise ValueError("查询密钥应为 base64 编码（HMAC-SM3 时前加 sm3:）") from None
    if len(key) != KEY_SIZE:
        raise ValueError(f"查询密钥应为 {KEY_SIZE} 字节，实际 {len(key)} 字节")
    key.algorithm = "sm3" if sm3 else "sha256"
    return key


def lookup_mac(key: bytes, data: bytes) -> str:
    """The hex HMAC of `data` under a look-up key, by the key's algorithm (SHA-256 for bare
    bytes)."""
    return keyed_digest(bytes(key), data, getattr(key, "algorithm", "sha256"))


def is_dev_lookup_key(value: str) -> bool:
    return secrets.compare_digest(parse_lookup_key(value), parse_lookup_key(DEV_LOOKUP_KEY))


def is_dev_audit_key(spec: str) -> bool:
    """Whether the audit key spec configures the public development audit key (under any id):
    with it, anyone could recompute the audit chain. ValueError for a spec that does not parse."""
    keys, _ = parse_keys(spec, kind="审计密钥", cipher=False)
    return any(secrets.compare_digest(key, DEV_AUDIT_KEY) for key in keys.values())


class AuditKeys:
    """The HMAC keys of the audit chain (HMAC-SM3 for ids starting with sm3, else
    HMAC-SHA256): the active key signs, any configured key verifies what it signed, so the
    key can rotate, and the algorithm change, while old entries still verify."""

    def __init__(self, spec: str) -> None:
        self._keys, self.active_key_id = parse_keys(spec, kind="审计密钥", cipher=False)

    def knows(self, key_id: str) -> bool:
        return key_id in self._keys

    def mac(self, message: bytes, key_id: str | None = None) -> str:
        """HMAC (hex) of `message` under `key_id` (the active key by default), by that key's
        algorithm; KeyError when that key is not configured."""
        key_id = key_id or self.active_key_id
        return keyed_digest(self._keys[key_id], message, hash_of_key_id(key_id))
