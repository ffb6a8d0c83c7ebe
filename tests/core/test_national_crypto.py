"""The national algorithms (商用密码) as a configuration choice: SM4-GCM keys for the payload
codec and the store's sealing, HMAC-SM3 for the audit chain and the look-up hashes; the key
id names the algorithm, so AES data stays readable after a move to SM4."""

import base64
import hashlib
import hmac
import secrets

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.converter import WorkflowSerializationContext

from core.codec import KEY_ID_METADATA, codec_from_spec, encrypted_data_converter
from core.keys import (
    SM4GCM,
    AuditKeys,
    DecryptionError,
    Keyring,
    digest,
    generate_key,
    keyed_digest,
    parse_keys,
    parse_lookup_key,
)
from store.lookup import lookup_hash
from store.sealing import Sealer, binding

AES = f"k1:{generate_key()}"
SM4 = f"sm4-k2:{generate_key('sm4-k2')}"
HERE = binding("complaint_case", "sealed", "c-1")


def test_sm4_gcm_gives_the_rfc_8998_test_vector() -> None:
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    associated = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    sealed = SM4GCM(key).encrypt(nonce, plain, associated)
    assert sealed.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        "83DE3541E4C2B58177E065A9BF7B62EC"  # the tag
    )
    assert SM4GCM(key).decrypt(nonce, sealed, associated) == plain
    with pytest.raises(InvalidTag):
        SM4GCM(key).decrypt(nonce, sealed, associated + b"!")


def test_sm3_gives_the_standard_test_vector_and_keys_an_hmac() -> None:
    assert digest(b"abc", "sm3") == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    key = secrets.token_bytes(32)
    assert keyed_digest(key, b"abc") == hmac.new(key, b"abc", hashlib.sha256).hexdigest()
    sm3 = keyed_digest(key, b"abc", "sm3")
    assert len(sm3) == 64 and sm3 != keyed_digest(key, b"abc")
    assert sm3 == hmac.new(key, b"abc", "sm3").hexdigest()  # OpenSSL's own, where it has it


def test_an_sm4_key_id_takes_a_16_byte_key_and_others_32() -> None:
    assert len(base64.b64decode(generate_key("sm4-k2"))) == 16
    assert len(base64.b64decode(generate_key("k2"))) == 32
    with pytest.raises(ValueError, match=r"'sm4-k3'.*应为 16 字节"):
        parse_keys(f"sm4-k3:{generate_key()}")
    with pytest.raises(ValueError, match=r"SM4 需要 16 字节"):
        Keyring({"sm4-x": bytes(32)}, "sm4-x")
    # An audit key is an HMAC key: 32 bytes whatever its id.
    assert AuditKeys(f"sm3-a1:{generate_key()}").active_key_id == "sm3-a1"


async def test_the_codec_under_sm4_and_a_move_from_aes() -> None:
    old = codec_from_spec(AES).with_context(WorkflowSerializationContext("default", "c-1"))
    moved = codec_from_spec(f"{SM4},{AES}").with_context(
        WorkflowSerializationContext("default", "c-1")
    )
    converter = encrypted_data_converter(moved).payload_converter
    plain = converter.to_payloads(["张晓明", {"phone": "13812345678"}])

    by_aes = await old.encode(plain)
    by_sm4 = await moved.encode(plain)

    assert [p.metadata[KEY_ID_METADATA] for p in by_sm4] == [b"sm4-k2"] * 2
    assert all("张晓明".encode() not in p.data for p in by_sm4)
    assert await moved.decode(by_sm4) == plain
    assert await moved.decode(by_aes) == plain  # histories written under AES still read
    with pytest.raises(DecryptionError, match=r"'sm4-k2'.*未配置"):
        await old.decode(by_sm4)


def test_store_sealing_under_sm4_binds_and_moves_from_aes() -> None:
    by_aes = Sealer(AES).seal({"name": "张晓明"}, bound_to=HERE)
    sealer = Sealer(f"{SM4},{AES}")
    by_sm4 = sealer.seal({"name": "张晓明"}, bound_to=HERE)

    assert sealer.open(by_sm4, bound_to=HERE) == {"name": "张晓明"}
    assert sealer.open(by_aes, bound_to=HERE) == {"name": "张晓明"}
    assert sealer.is_current(by_sm4) and not sealer.is_current(by_aes)
    with pytest.raises(DecryptionError):
        sealer.open(by_sm4, bound_to=binding("complaint_case", "sealed", "c-2"))


def test_an_sm3_lookup_key_hashes_by_hmac_sm3() -> None:
    material = generate_key()
    sha = parse_lookup_key(material)
    sm3 = parse_lookup_key(f"sm3:{material}")
    assert (sha.algorithm, sm3.algorithm) == ("sha256", "sm3")
    assert bytes(sha) == bytes(sm3)
    phone = lookup_hash("phone", "+86 138 1234 5678", sm3)
    assert phone == keyed_digest(bytes(sm3), b"phone:13812345678", "sm3")
    assert phone != lookup_hash("phone", "13812345678", sha)
    with pytest.raises(ValueError, match="base64"):
        parse_lookup_key("sm3:not base64!")
