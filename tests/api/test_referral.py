"""A call can be referred to the handling unit's hotline only when that unit has published one:
otherwise the registration is refused on `refer_to_hotline`, by the unit's name, and nothing is
registered (the small tree of these tests has no phones)."""

from sqlmodel import Session, func, select

from store.models import Intake
from tests.support.api_support import Api

CALL = {
    "channel": "phone",
    "complainant": {"name": "张晓明", "phone": "13812345678"},
    "unit_codes": ["130102"],
    "summary": "孩子的学籍被错误转出",
    "refer_to_hotline": True,
}


def test_a_referral_to_a_unit_without_a_hotline_is_refused_and_changes_nothing(api: Api) -> None:
    headers = api.headers_for("hb.clerk", unit_code="130000", role="clerk")
    answer = api.client.post("/api/complaints", json=CALL, headers=headers)
    assert answer.status_code == 422, answer.text
    error = answer.json()["detail"][0]
    assert error["loc"] == ["body", "refer_to_hotline"]
    assert error["msg"] == "长安区教育局尚未公布投诉电话，不能告知热线，请转办该单位处理"
    with Session(api.engine) as session:
        assert session.exec(select(func.count()).select_from(Intake)).one() == 0
