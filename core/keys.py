"""Keys and the AES-256-GCM keyring that the payload codec and the store's sealing share.

Keys are configured as ``"k2:BASE64,k1:BASE64"`` (the first is active, see `parse_keys`): new
data is sealed under the active key, old data is opened with whichever configured key it
names, so keys rotate without re-encrypting. The look-up key for keyed hashes of ID and phone
numbers is one 32-byte key (`parse_lookup_key`). The audit keys (`AuditKeys`) key the audit
log's HMAC chain, in the same format: the first signs, all verify.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_SIZE = 32  # AES-256
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


class DecryptionError(ValueError):
    """Data cannot be decrypted (unknown key id, or altered data); never holds plaintext."""


def tampered_error(key_id: str) -> DecryptionError:
    """What opening altered data says: deliberately nothing from the data (it may be plain)."""
    return DecryptionError(
        f"数据无法用密钥 {key_id!r} 解密：数据已被篡改、损坏，或该编号对应的密钥不正确"
    )


class Keyring:
    """AES-256-GCM under the active key, opening with any configured key by its id."""

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


def parse_keys(spec: str, *, kind: str = "加密密钥") -> tuple[dict[str, bytes], str]:
    """Parse ``"k2:BASE64,k1:BASE64"`` into ({id: key}, active id); the first entry is active.

    Keys are standard or URL-safe base64 of 32 bytes. A bad spec raises ValueError naming the
    entry (by position and id, never by its key material) and the reason, in Chinese; `kind`
    names the keys in it ("审计密钥").
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
        if len(key) != KEY_SIZE:
            raise ValueError(f"{where}解码后为 {len(key)} 字节，应为 {KEY_SIZE} 字节")
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


def parse_lookup_key(value: str) -> bytes:
    """The 32-byte look-up key from its standard base64; ValueError when it is not that."""
    try:
        key = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError("查询密钥应为 base64 编码") from None
    if len(key) != KEY_SIZE:
        raise ValueError(f"查询密钥应为 {KEY_SIZE} 字节，实际 {len(key)} 字节")
    return key


def is_dev_lookup_key(value: str) -> bool:
    return secrets.compare_digest(parse_lookup_key(value), parse_lookup_key(DEV_LOOKUP_KEY))


def is_dev_audit_key(spec: str) -> bool:
    """Whether the audit key spec configures the public development audit key (under any id):
    with it, anyone could recompute the audit chain. ValueError for a spec that does not parse."""
    keys, _ = parse_keys(spec, kind="审计密钥")
    return any(secrets.compare_digest(key, DEV_AUDIT_KEY) for key in keys.values())


class AuditKeys:
    """The HMAC-SHA256 keys of the audit chain: the active key signs, any configured key
    verifies what it signed, so the key can rotate while old entries still verify."""

    def __init__(self, spec: str) -> None:
        self._keys, self.active_key_id = parse_keys(spec, kind="审计密钥")

    def knows(self, key_id: str) -> bool:
        return key_id in self._keys

    def mac(self, message: bytes, key_id: str | None = None) -> str:
        """HMAC-SHA256 (hex) of `message` under `key_id` (the active key by default);
        KeyError when that key is not configured."""
        key = self._keys[key_id or self.active_key_id]
        return hmac.new(key, message, hashlib.sha256).hexdigest()
