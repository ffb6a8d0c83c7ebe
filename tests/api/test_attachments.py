"""Evidence files (附件) over HTTP: who may upload, list and download them, what is refused
(too large, a type other than PDF, image or Office document by its content, a case or a slip
the caller may not see), and that each upload and download is in the audit log."""

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from domain.process import SlipKind
from domain.records import CaseRecord, SlipRecord, SlipState
from store.db import session_scope
from store.models import School
from tests.support.api_support import PASSWORD, SMALL_TREE, T0, Api, open_api
from tests.support.audit_support import last_seq, records_since
from tests.support.case_support import snapshot, write
from tests.support.stores import FreshStore

CASE = "c-files"
CITY, COUNTY, ELSEWHERE = "130100", "130102", "110101"
SCHOOL, OTHER_SCHOOL = "2130102001", "2130102002"
MAX_BYTES = 64 * 1024
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a7e5a1b40000000049454e44ae426082"
)


def _slip(slip_id: str, addressee: str) -> SlipRecord:
    route = [CITY, COUNTY, addressee] if addressee != COUNTY else [CITY, COUNTY]
    state = SlipState(
        slip_id=slip_id,
        kind=SlipKind.VERIFICATION,
        round=1,
        issuer=CITY,
        addressee=addressee,
        route=route,
        sent_at=T0,
    )
    return SlipRecord(slip=state, instructions="请核查")


@pytest.fixture
def api(fresh_store: FreshStore, tmp_path: Path) -> Iterator[Api]:
    """石家庄市's case with slips V1 to 长安区's school and V2 to another school of it; a
    64 KB limit for files."""
    with open_api(fresh_store.make(SMALL_TREE), tmp_path, attachment_max_bytes=MAX_BYTES) as api:
        with session_scope(api.engine) as session:
            for code in (SCHOOL, OTHER_SCHOOL):
                session.add(School(code=code, name=f"学校{code[-1]}", unit_code=COUNTY))
        slips = [_slip("V1", SCHOOL), _slip("V2", OTHER_SCHOOL)]
        record = CaseRecord(complaint_id=CASE, case=snapshot(CITY, tracking_no="T-f"), slips=slips)
        write(api.engine, record)
        yield api


def upload(api: Api, headers: dict[str, str], name: str, data: bytes, **form: str):  # type: ignore[no-untyped-def]
    files = {"file": (name, data, "application/octet-stream")}
    return api.client.post(
        f"/api/complaints/{CASE}/attachments", headers=headers, files=files, data=form
    )


def test_files_are_kept_sealed_and_given_to_those_who_see_them(api: Api, tmp_path: Path) -> None:
    city = api.headers_for("sjz.handler", unit_code=CITY, role="handler")
    school = api.headers_for("xx.handler", unit_code=SCHOOL, role="handler")
    other_school = api.headers_for("yy.handler", unit_code=OTHER_SCHOOL, role="handler")
    start = last_seq(api.engine)

    letter = upload(api, city, "来信扫描件.pdf", PDF, purpose="case")
    assert letter.status_code == 201, letter.text
    api.clock.now += timedelta(minutes=5)  # listed in the order they came
    voucher = upload(api, school, "注销凭证.png", PNG, purpose="slip_return", slip_id="V1")
    assert voucher.status_code == 201, voucher.text
    assert voucher.json()["content_type"] == "image/png"
    assert voucher.json()["sha256"] == hashlib.sha256(PNG).hexdigest()

    # The folder holds the files sealed: neither their bytes nor their names are readable.
    stored = [path.read_bytes() for path in (tmp_path / "attachments").iterdir()]
    assert len(stored) == 2 and all(PDF not in blob and b"PNG" not in blob for blob in stored)

    names = [
        (f["name"], f["purpose"], f["slip_id"])
        for f in api.client.get(f"/api/complaints/{CASE}/attachments", headers=city).json()
    ]
    assert names == [("来信扫描件.pdf", "case", ""), ("注销凭证.png", "slip_return", "V1")]
    school_sees = api.client.get(f"/api/complaints/{CASE}/attachments", headers=school).json()
    assert [f["name"] for f in school_sees] == ["注销凭证.png"]
    assert api.client.get(f"/api/complaints/{CASE}/attachments", headers=other_school).json() == []

    got = api.client.get(f"/api/complaints/{CASE}/attachments/{letter.json()['id']}", headers=city)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''%E6%9D%A5%E4%BF%A1%E6%89%AB%E6%8F%8F%E4%BB%B6.pdf"
    )
    assert got.headers["x-content-type-options"] == "nosniff"
    # A school gets its own slip's file and nothing else of the case.
    letter_path = f"/api/complaints/{CASE}/attachments/{letter.json()['id']}"
    assert api.client.get(letter_path, headers=school).status_code == 404
    voucher_path = f"/api/complaints/{CASE}/attachments/{voucher.json()['id']}"
    assert api.client.get(voucher_path, headers=school).content == PNG
    assert api.client.get(voucher_path, headers=other_school).status_code == 404

    uploads = f"/api/complaints/{CASE}/attachments"
    assert records_since(api.engine, start)[:2] == [
        (
            "sjz.handler",
            "upload_attachment",
            f"POST {uploads} attachment={letter.json()['id']} sha256={letter.json()['sha256']}",
            "ok",
        ),
        (
            "xx.handler",
            "upload_attachment",
            f"POST {uploads} attachment={voucher.json()['id']} sha256={voucher.json()['sha256']}",
            "ok",
        ),
    ]
    reads = [r for r in records_since(api.engine, start) if r[1] == "download_attachment"]
    assert reads == [
        ("sjz.handler", "download_attachment", f"GET {letter_path}", "ok"),
        ("xx.handler", "download_attachment", f"GET {letter_path}", "refused:404"),
        ("xx.handler", "download_attachment", f"GET {voucher_path}", "ok"),
        ("yy.handler", "download_attachment", f"GET {voucher_path}", "refused:404"),
    ]


def test_the_slips_page_lists_each_slips_files_for_its_addressee(api: Api) -> None:
    """The console's 收到的单据 links the files of a slip's return for the school it is
    addressed to (as the JSON list gives them), never the case's other files; a bureau the
    slip passes through sees no link there (it has the case page)."""
    city = api.headers_for("sjz.handler", unit_code=CITY, role="handler")
    school = api.headers_for("xx.handler", unit_code=SCHOOL, role="handler")
    letter = upload(api, city, "来信扫描件.pdf", PDF, purpose="case").json()
    voucher = upload(api, school, "注销凭证.png", PNG, purpose="slip_return", slip_id="V1").json()
    api.add_user("ca.handler", unit_code=COUNTY, role="handler")

    def slips_page(username: str) -> str:
        with TestClient(api.client.app, follow_redirects=False) as console:
            form = {"username": username, "password": PASSWORD, "next": "/console"}
            assert console.post("/console/login", data=form).status_code == 303
            page = console.get("/console/slips")
            assert page.status_code == 200, page.text
            if username == "xx.handler":  # the link downloads the file for the school
                link = f"/console/cases/{CASE}/attachments/{voucher['id']}"
                assert console.get(link).content == PNG
            return page.text

    school_page = slips_page("xx.handler")
    assert f'href="/console/cases/{CASE}/attachments/{voucher["id"]}" download>注销凭证.png' in (
        school_page
    )
    assert "0.1 KB" in school_page and letter["id"] not in school_page
    county_page = slips_page("ca.handler")  # V1 and V2 pass through the county
    assert "T-f" in county_page and voucher["id"] not in county_page


def test_refusals_change_nothing(api: Api, tmp_path: Path) -> None:
    city = api.headers_for("sjz.handler", unit_code=CITY, role="handler")
    elsewhere = api.headers_for("dc.handler", unit_code=ELSEWHERE, role="handler")
    school = api.headers_for("xx.handler", unit_code=SCHOOL, role="handler")

    too_large = upload(api, city, "大.pdf", PDF + b"0" * MAX_BYTES, purpose="case")
    assert too_large.status_code == 413 and "64 KB" in too_large.json()["detail"]
    # Refused by the declared length, before the body is read: the whole route's limit.
    huge = api.client.post(
        f"/api/complaints/{CASE}/attachments",
        headers={
            **city,
            "Content-Length": str(10 * MAX_BYTES),
            "Content-Type": "multipart/form-data; boundary=x",
        },
        content=b"--x--",
    )
    assert huge.status_code == 413
    html = upload(
        api, city, "看起来是.pdf", b"<html><script>alert(1)</script></html>", purpose="case"
    )
    assert html.status_code == 415 and html.json()["detail"].startswith("file：")
    assert upload(api, city, "空.pdf", b"", purpose="case").status_code == 422
    assert (
        upload(api, city, "a.pdf", PDF, purpose="whatever").json()["detail"].startswith("purpose：")
    )
    assert upload(api, elsewhere, "a.pdf", PDF, purpose="case").status_code == 404
    assert upload(api, school, "a.pdf", PDF, purpose="case").status_code == 404
    assert upload(api, school, "a.pdf", PDF, purpose="slip_return", slip_id="V2").status_code == 404
    assert upload(api, city, "a.pdf", PDF, purpose="slip_return", slip_id="V1").status_code == 403
    assert (
        api.client.get(f"/api/complaints/{CASE}/attachments", headers=elsewhere).status_code == 404
    )

    assert not (tmp_path / "attachments").exists() or not list((tmp_path / "attachments").iterdir())
    assert api.client.get(f"/api/complaints/{CASE}/attachments", headers=city).json() == []
