"""The store's sealing: its own format (no Temporal protobuf), rows sealed the old way (a
serialised Temporal payload) still read, rotated keys, and refusals that name no plaintext."""

import json

import pytest
from temporalio.api.common.v1 import Payload

from core.codec import codec_from_spec
from core.keys import DEV_KEY_SPEC, DecryptionError, generate_key
from store.sealing import MAGIC, Sealer

REPORT = {"name": "赵敏", "phones": ["13803110000"], "note": None}


def sealed_the_old_way(value: object, key_spec: str) -> bytes:
    """What Sealer.seal wrote before the store had its own format."""
    plain = json.dumps(value, ensure_ascii=False).encode("utf-8")
    payload = Payload(metadata={"encoding": b"json/plain"}, data=plain)
    return codec_from_spec(key_spec).encrypt(payload).SerializeToString()


def test_a_value_comes_back_and_the_blob_holds_neither_it_nor_protobuf() -> None:
    sealer = Sealer(DEV_KEY_SPEC)
    blob = sealer.seal(REPORT)
    assert blob.startswith(MAGIC + bytes([3]) + b"dev")
    assert "赵敏".encode() not in blob and b"13803110000" not in blob
    assert sealer.open(blob) == REPORT


def test_rows_sealed_the_old_way_are_still_read() -> None:
    old = sealed_the_old_way(REPORT, DEV_KEY_SPEC)
    assert old[:1] == b"\x0a"  # a protobuf message, not the new format
    sealer = Sealer(DEV_KEY_SPEC)
    assert sealer.open(old) == REPORT
    # The same value again keeps the row as it is; a changed one is written the new way.
    assert sealer.seal(REPORT, current=old) == old
    changed = sealer.seal({**REPORT, "note": "改"}, current=old)
    assert changed.startswith(MAGIC) and sealer.open(changed)["note"] == "改"


def test_rotated_keys_open_old_values_and_seal_under_the_new_one() -> None:
    old_spec = f"k1:{generate_key()}"
    new_spec = f"k2:{generate_key()},{old_spec}"
    by_old, by_old_legacy = Sealer(old_spec).seal(REPORT), sealed_the_old_way(REPORT, old_spec)
    rotated = Sealer(new_spec)
    assert rotated.open(by_old) == REPORT and rotated.open(by_old_legacy) == REPORT
    assert rotated.seal(REPORT).startswith(MAGIC + bytes([2]) + b"k2")


@pytest.mark.parametrize("legacy", [False, True])
def test_a_missing_key_or_altered_data_is_refused(legacy: bool) -> None:
    spec = f"k1:{generate_key()}"
    blob = sealed_the_old_way(REPORT, spec) if legacy else Sealer(spec).seal(REPORT)
    with pytest.raises(DecryptionError, match=r"'k1'.*未配置"):
        Sealer(f"k2:{generate_key()}").open(blob)
    altered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionError, match="篡改") as refused:
        Sealer(spec).open(altered)
    assert "赵敏" not in str(refused.value)


@pytest.mark.parametrize("blob", [b"", b"\x0a\xff", b"XS1", b"garbage", MAGIC + b"\x09dev"])
def test_what_is_no_sealed_value_is_refused_as_such(blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        Sealer(DEV_KEY_SPEC).open(blob)
