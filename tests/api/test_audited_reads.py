"""Reads of personal data over the JSON API leave an audit record (审计日志) each: a slip, its
printed form, and the Temporal Web UI's decoding, which names the workflows it opened and
never those it left sealed. The slip list, which holds no personal data, leaves none."""

import pytest
from temporalio.api.common.v1 import Payload, Payloads

from core.codec import codec_from_spec, payloads_to_json
from core.keys import DEV_KEY_SPEC
from domain.ids import new_tracking_no
from domain.process import SlipKind
from domain.records import CaseRecord, Complainant, Registration, SlipRecord, SlipState, Student
from tests.support.api_support import T0, Api
from tests.support.audit_support import last_seq, records_since
from tests.support.case_support import snapshot, write

CASE, OTHER = "c-read", "c-other"
CITY, COUNTY, ELSEWHERE = "130100", "130102", "110101"


@pytest.fixture
def api(api: Api) -> Api:
    """A case of 石家庄市 with a verification slip V1 to 长安区, and a case of 东城区."""
    slip = SlipState(
        slip_id="V1",
        kind=SlipKind.VERIFICATION,
        round=1,
        issuer=CITY,
        addressee=COUNTY,
        route=[CITY, COUNTY],
        sent_at=T0,
    )
    registration = Registration(
        complainant=Complainant(name="张晓明", phone="13812345678"),
        content="孩子的学籍被两所学校同时登记",
        school_codes=[],
        unit_codes=[],
        students=[Student(name="张小雨")],
    )
    record = CaseRecord(
        complaint_id=CASE,
        case=snapshot(CITY, tracking_no="T-read"),
        registration=registration,
        slips=[SlipRecord(slip=slip, instructions="请核查张小雨的学籍")],
    )
    write(api.engine, record)
    write(api.engine, CaseRecord(complaint_id=OTHER, case=snapshot(ELSEWHERE, tracking_no="T-o")))
    return api


def test_a_slip_and_its_printed_form_are_recorded_reads(api: Api) -> None:
    county = api.headers_for("ca.handler", unit_code=COUNTY, role="handler")
    elsewhere = api.headers_for("dc.handler", unit_code=ELSEWHERE, role="handler")
    start = last_seq(api.engine)

    assert api.client.get("/api/slips", headers=county).status_code == 200  # no record
    assert api.client.get(f"/api/slips/{CASE}/V1", headers=county).status_code == 200
    printed = api.client.get(f"/api/slips/{CASE}/V1.pdf", headers=county)
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    assert api.client.get(f"/api/slips/{CASE}/V1", headers=elsewhere).status_code == 404

    assert records_since(api.engine, start) == [
        ("ca.handler", "get_slip", f"GET /api/slips/{CASE}/V1", "ok"),
        ("ca.handler", "get_slip_pdf", f"GET /api/slips/{CASE}/V1.pdf", "ok"),
        ("dc.handler", "get_slip", f"GET /api/slips/{CASE}/V1", "refused:404"),
    ]


def test_a_decode_names_the_workflows_it_opened(api: Api) -> None:
    city = api.headers_for("sjz.handler", unit_code=CITY, role="handler")
    codec = codec_from_spec(DEV_KEY_SPEC)
    plain = Payload(metadata={"encoding": b"json/plain"}, data='{"name":"张三"}'.encode())
    payloads = [codec.encrypt(plain, CASE), codec.encrypt(plain, f"{CASE}.V1")]
    payloads.append(codec.encrypt(plain, OTHER))  # another unit's case: stays sealed
    body = payloads_to_json(Payloads(payloads=payloads))
    start = last_seq(api.engine)

    assert api.client.post("/api/codec/decode", json=body, headers=city).status_code == 200

    assert records_since(api.engine, start) == [
        ("sjz.handler", "decode", f"POST /api/codec/decode opened={CASE},{CASE}.V1", "ok")
    ]


def test_the_publics_tracking_leaves_no_record(api: Api) -> None:
    start = last_seq(api.engine)
    number = new_tracking_no(T0.date(), "ABCDEF")
    guess = {"tracking_no": number, "code": "000000"}

    assert api.client.post("/api/track", json=guess).status_code == 404  # no such complaint
    assert api.client.get(f"/api/track/{number}").status_code == 410

    assert records_since(api.engine, start) == []
