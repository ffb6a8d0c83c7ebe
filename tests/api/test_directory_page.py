"""GET /directory: the public directory as an accessible HTML page, through the real app on
both stores, compared with the JSON directory."""

import pytest
from sqlmodel import Session

from store.models import Unit
from tests.support.api_support import Api
from tests.support.html_support import PageReader

HEBEI = {"province": "130000"}
COLUMNS = ["单位", "级别", "投诉电话", "投诉邮箱", "最近确认日期"]


def set_contacts(api: Api, headers: dict[str, str], code: str, **contacts: str) -> None:
    response = api.client.patch(f"/api/org/units/{code}", json=contacts, headers=headers)
    assert response.status_code == 200, response.text


def read(api: Api, **params: str) -> PageReader:
    response = api.client.get("/directory", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return PageReader(response.text)


def test_a_province_lists_every_unit_with_its_contacts_and_date(api: Api) -> None:
    admin = api.headers_for("admin-hb", unit_code="130000", role="sysadmin")
    set_contacts(api, admin, "130100", phone="0311-8600 1234", email="jyj@sjz.example.cn")
    set_contacts(api, admin, "130102", email="ca@sjz.example.cn")

    page = read(api, **HEBEI)

    listing = api.client.get("/api/directory", params=HEBEI).json()
    assert [row[0][0] for row in page.rows] == [unit["name"] for unit in listing]
    rows = {row[0][0]: row for row in page.rows}
    assert rows["石家庄市教育局"] == [
        ("石家庄市教育局", None),
        ("地市级", None),
        ("0311-8600 1234", "tel:0311-86001234"),
        ("jyj@sjz.example.cn", "mailto:jyj@sjz.example.cn"),
        ("2030-03-04", None),  # T0 is 09:00 in Beijing
    ]
    assert rows["长安区教育局"][1:] == [
        ("县级", None),
        ("未公布", None),
        ("ca@sjz.example.cn", "mailto:ca@sjz.example.cn"),
        ("2030-03-04", None),
    ]
    assert rows["河北省教育厅"][2:] == [("未公布", None), ("未公布", None), ("未确认", None)]
    by_code = {unit["code"]: unit for unit in listing}
    # The API clock's time (01:00 UTC), written in Beijing time like every time it answers.
    assert by_code["130100"]["confirmed_at"] == "2030-03-04T09:00:00+08:00"
    assert by_code["130000"]["confirmed_at"] is None


def test_saving_the_same_contacts_again_moves_the_date(api: Api) -> None:
    admin = api.headers_for("admin-hb", unit_code="130000", role="sysadmin")
    set_contacts(api, admin, "130100", phone="0311-86001234")
    api.clock.advance(days=40)
    again = api.headers_for("admin-hb-2", unit_code="130000", role="sysadmin")
    set_contacts(api, again, "130100", phone="0311-86001234")

    rows = {row[0][0]: row for row in read(api, **HEBEI).rows}

    assert rows["石家庄市教育局"][4] == ("2030-04-13", None)


def test_nationally_the_ministry_and_provinces_only(api: Api) -> None:
    page = read(api)

    names = [row[0][0] for row in page.rows]
    assert names == ["教育部", "北京市教育委员会", "河北省教育厅"]
    assert page.rows[2][0] == ("河北省教育厅", "/directory?province=130000")
    counties = [row[0][0] for row in read(api, level="county").rows]
    assert counties == ["东城区教育局", "西城区教育局", "长安区教育局"]


def test_the_page_is_accessible_structure(api: Api) -> None:
    page = read(api, **HEBEI)

    assert page.lang == "zh-CN"
    assert "投诉电话和邮箱" in page.title
    assert "130000" in page.caption and "共 3 个单位" in page.caption
    assert page.headers == [(name, "col") for name in COLUMNS]


def test_staff_entered_markup_is_shown_as_text(api: Api) -> None:
    admin = api.headers_for("admin-hb", unit_code="130000", role="sysadmin")
    email = "<script>alert(1)</script>@example.cn"
    set_contacts(api, admin, "130102", email=email)
    with Session(api.engine) as session:
        unit = session.get(Unit, "130100")
        assert unit is not None
        unit.name = "石家庄<b>市</b>教育局"
        session.add(unit)
        session.commit()

    response = api.client.get("/directory", params=HEBEI)

    assert "<script>" not in response.text and "<b>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.cn" in response.text
    assert "石家庄&lt;b&gt;市&lt;/b&gt;教育局" in response.text
    names = [row[0][0] for row in PageReader(response.text).rows]
    assert "石家庄<b>市</b>教育局" in names


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("province", "13", "省级单位代码应为 6 位数字"), ("level", "city", "级别应为")],
)
def test_a_bad_parameter_is_refused_in_chinese(
    api: Api, field: str, value: str, message: str
) -> None:
    response = api.client.get("/directory", params={field: value})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert f"参数 {field} 有误" in response.text and message in response.text
