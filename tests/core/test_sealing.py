"""The store's sealing: its own format (no Temporal protobuf), each value bound to its table,
row and column, values sealed before the binding (XS1) or the old way (a serialised Temporal
payload) still read, rotated keys, and refusals that name no plaintext."""

import json

import pytest
from temporalio.api.common.v1 import Payload

from core.codec import codec_from_spec
from core.keys import DEV_KEY_SPEC, DecryptionError, Keyring, generate_key
from store.models import CaseSlip
from store.sealing import MAGIC, MAGIC_UNBOUND, Sealer, binding, row_binding

REPORT = {"name": "赵敏", "phones": ["13803110000"], "note": None}
HERE = binding("complaint_case", "sealed", "c-1")


def sealed_the_old_way(value: object, key_spec: str) -> bytes:
    """What Sealer.seal wrote before the store had its own format."""
    plain = json.dumps(value, ensure_ascii=False).encode("utf-8")
    payload = Payload(metadata={"encoding": b"json/plain"}, data=plain)
    return codec_from_spec(key_spec).encrypt(payload).SerializeToString()


def sealed_unbound(value: object, key_spec: str) -> bytes:
    """What Sealer.seal wrote before values were bound to their place (XS1)."""
    keyring = Keyring.from_spec(key_spec)
    key_id = keyring.active_key_id.encode()
    plain = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return MAGIC_UNBOUND + bytes([len(key_id)]) + key_id + keyring.seal(plain)


def test_a_value_comes_back_and_the_blob_holds_neither_it_nor_protobuf() -> None:
    sealer = Sealer(DEV_KEY_SPEC)
    blob = sealer.seal(REPORT, bound_to=HERE)
    assert blob.startswith(MAGIC + bytes([3]) + b"dev")
    assert "赵敏".encode() not in blob and b"13803110000" not in blob
    assert sealer.open(blob, bound_to=HERE) == REPORT


@pytest.mark.parametrize(
    "elsewhere",
    [
        binding("complaint_case", "sealed", "c-2"),  # another row
        binding("complaint_case", "sealed_public_reply", "c-1"),  # another column
        binding("case_slip", "sealed", "c-1"),  # another table
    ],
)
def test_a_value_copied_to_another_place_does_not_open(elsewhere: bytes) -> None:
    sealer = Sealer(DEV_KEY_SPEC)
    blob = sealer.seal(REPORT, bound_to=HERE)
    with pytest.raises(DecryptionError, match="篡改") as refused:
        sealer.open(blob, bound_to=elsewhere)
    assert "赵敏" not in str(refused.value)


def test_a_row_binds_by_its_table_primary_key_and_column() -> None:
    slip = CaseSlip(case_id="c-1", slip_id="V1")
    sealer = Sealer(DEV_KEY_SPEC)
    sealer.seal_column(slip, "sealed_instructions", "请核实")
    assert sealer.open_column(slip, "sealed_instructions") == "请核实"
    assert row_binding(slip, "sealed_instructions") == binding(
        "case_slip", "sealed_instructions", "c-1", "V1"
    )
    other = CaseSlip(case_id="c-1", slip_id="V2", sealed_instructions=slip.sealed_instructions)
    with pytest.raises(DecryptionError):
        sealer.open_column(other, "sealed_instructions")
    # The same value again keeps the row's bytes: a rewrite changes nothing.
    before = slip.sealed_instructions
    sealer.seal_column(slip, "sealed_instructions", "请核实")
    assert slip.sealed_instructions == before


def test_a_binding_cannot_be_forged_with_separators() -> None:
    assert binding("t", "c", "a:b", "c") != binding("t", "c", "a", "b:c")
    assert binding("t", "c", "a/b") != binding("t", "c", "a", "b")


@pytest.mark.parametrize("old_way", [sealed_unbound, sealed_the_old_way])
def test_values_sealed_before_the_binding_are_still_read_and_rebound_when_written(
    old_way: object,
) -> None:
    assert callable(old_way)
    old = old_way(REPORT, DEV_KEY_SPEC)
    sealer = Sealer(DEV_KEY_SPEC)
    assert sealer.open(old, bound_to=HERE) == REPORT
    assert not sealer.is_current(old)
    # Written again, even unchanged, a value is bound: unbound values only ever get fewer.
    again = sealer.seal(REPORT, bound_to=HERE, current=old)
    assert again.startswith(MAGIC) and sealer.is_current(again)
    assert sealer.open(again, bound_to=HERE) == REPORT


def test_rotated_keys_open_old_values_and_seal_under_the_new_one() -> None:
    old_spec = f"k1:{generate_key()}"
    new_spec = f"k2:{generate_key()},{old_spec}"
    by_old = Sealer(old_spec).seal(REPORT, bound_to=HERE)
    by_old_legacy = sealed_the_old_way(REPORT, old_spec)
    rotated = Sealer(new_spec)
    assert rotated.open(by_old, bound_to=HERE) == REPORT
    assert rotated.open(by_old_legacy, bound_to=HERE) == REPORT
    assert not rotated.is_current(by_old)
    assert rotated.seal(REPORT, bound_to=HERE).startswith(MAGIC + bytes([2]) + b"k2")


@pytest.mark.parametrize("old_way", [None, sealed_unbound, sealed_the_old_way])
def test_a_missing_key_or_altered_data_is_refused(old_way: object) -> None:
    spec = f"k1:{generate_key()}"
    if old_way is None:
        blob = Sealer(spec).seal(REPORT, bound_to=HERE)
    else:
        assert callable(old_way)
        blob = old_way(REPORT, spec)
    with pytest.raises(DecryptionError, match=r"'k1'.*未配置"):
        Sealer(f"k2:{generate_key()}").open(blob, bound_to=HERE)
    altered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionError, match="篡改") as refused:
        Sealer(spec).open(altered, bound_to=HERE)
    assert "赵敏" not in str(refused.value)


@pytest.mark.parametrize("blob", [b"", b"\x0a\xff", b"XS1", b"XS2", b"garbage", MAGIC + b"\x09dev"])
def test_what_is_no_sealed_value_is_refused_as_such(blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        Sealer(DEV_KEY_SPEC).open(blob, bound_to=HERE)
