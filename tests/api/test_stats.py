"""Oversight figures (督办统计) over HTTP on both stores, on the hand-built cases of
tests/support/stats_cases.py: every figure a leader sees written out as the definitions of
docs/oversight.md give it, a sibling's figures 404, the workbook with the same figures."""

from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from store.db import session_scope
from tests.support.api_support import Api
from tests.support.stats_cases import NOW, add_oversight_cases


@pytest.fixture
def leaders(api: Api) -> dict[str, dict[str, str]]:
    api.clock.now = NOW
    with session_scope(api.engine) as session:
        add_oversight_cases(session)
    return {
        unit: api.headers_for(f"leader{unit}", unit_code=unit, role="leader")
        for unit in ("000000", "110000", "110101", "110102")
    }


def summary(api: Api, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = api.client.get("/api/stats/summary", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def follow_ups(**found: int) -> list[dict[str, Any]]:
    """The follow-up answers as the figures list them: each answer, its count and share."""
    names = {
        "satisfied": "满意",
        "basically_satisfied": "基本满意",
        "not_satisfied": "不满意",
        "not_reached": "未联系上",
    }
    total = sum(found.values())
    return [
        {
            "result": result,
            "name": name,
            "count": found.get(result, 0),
            "share": round(found.get(result, 0) / total, 4) if total else None,
        }
        for result, name in names.items()
    ]


def test_a_province_sees_its_subtree_figures_for_this_month(
    api: Api, leaders: dict[str, dict[str, str]]
) -> None:
    found = summary(api, leaders["110000"])

    assert found["unit"] == {"code": "110000", "name": "北京市教育委员会", "level": "provincial"}
    assert found["period"] == {"start": "2030-03-01", "end": "2030-03-31"}
    assert found["previous_period"] == {"start": "2030-02-01", "end": "2030-02-28"}
    assert found["figures"] == {
        "received": 6,  # A B C D E F
        "closed": 2,  # A B
        "closed_on_time": 1,  # A (B's first step and informing were late)
        "on_time_rate": 0.5,
        "withdrawn": 1,  # C
        "referred": 1,  # E
        "reworked": 1,  # B
        "rework_rate": 0.5,
        "disputes_raised": 1,  # D
        "repeats": 0,
        "followed_up": 2,  # A 28 Mar, B 28 Mar
        "follow_ups": follow_ups(satisfied=1, not_satisfied=1),  # B, A
        "reviews_requested": 1,  # A, asked 28 Mar
        "reviews_upheld": 1,  # A, 29 Mar
        "reviews_reopened": 0,
    }
    assert found["previous"] == {
        "received": 2,  # G I
        "closed": 1,  # G
        "closed_on_time": 1,
        "on_time_rate": 1.0,
        "withdrawn": 0,
        "referred": 0,
        "reworked": 1,  # G, reopened by a review (复核)
        "rework_rate": 1.0,
        "disputes_raised": 0,
        "repeats": 0,
        "followed_up": 0,
        "follow_ups": follow_ups(),
        "reviews_requested": 1,  # G, asked 21 Feb
        "reviews_upheld": 0,
        "reviews_reopened": 1,  # G, 22 Feb
    }
    channels = {row["key"]: row["received"] for row in found["by_channel"]}
    assert channels == {"phone": 3, "web": 1, "email": 0, "letter": 1, "visit": 1}
    assert found["by_level"] == [
        {
            "level": "provincial",
            "name": "省级",
            "received": 1,
            "closed": 0,
            "closed_on_time": 0,
            "on_time_rate": None,
        },
        {
            "level": "county",
            "name": "县级",
            "received": 5,
            "closed": 2,
            "closed_on_time": 1,
            "on_time_rate": 0.5,
        },
    ]
    steps = by(found["steps"], "step")
    # (done, on time, median and 90th percentile of working days used, nearest rank)
    expected = {
        "verify_issue": (4, 3, 2, 4),  # A 2, B 4 late, C 3 (re-timed, in time), F 1
        "verification": (3, 3, 2, 3),  # A 3, B 2, F 1; C's slip stopped by the withdrawal
        "opinion": (2, 2, 1, 1),
        "execution": (3, 3, 2, 3),  # A 3, B 2 and its rework's 2
        "confirmation": (3, 3, 1, 1),
        "informing": (2, 1, 2, 3),  # A 2, B 3 late
        "follow_up": (2, 1, 1, 6),  # A's 6, late (its closing stays on time); B's 1
        "review": (1, 1, 1, 1),  # A's, upheld
    }
    assert {
        step: (row["done"], row["on_time"], row["median_days"], row["p90_days"])
        for step, row in steps.items()
    } == expected
    assert steps["verify_issue"]["on_time_rate"] == 0.75
    assert steps["verify_issue"]["name"] == "下发核查单"
    assert found["rulings"] == {
        "ruled": 1,
        "on_time": 0,
        "on_time_rate": 0.0,
        "median_days": 4,
        "p90_days": 4,
    }
    backlog = found["backlog"]
    assert (backlog["open"], backlog["overdue"]) == (3, 2)  # D F I; D I overdue
    assert backlog["age_buckets"] == ["0–5", "6–10", "11–20", "21–30", "30以上"]
    stages = by(backlog["by_stage"], "stage")
    assert stages["verify_issue"]["by_age"] == [0, 0, 1, 0, 0]  # D: 16 working days
    assert stages["opinion"]["by_age"] == [1, 0, 0, 0, 0]  # F: 4
    assert stages["execution"]["by_age"] == [0, 0, 0, 1, 0]  # I: 24
    assert stages["confirmation"]["open"] == 0
    assert backlog["overdue_by_level"] == [[2, 1], [3, 1]]
    ranking = [
        (
            row["code"],
            row["received"],
            row["closed"],
            row["on_time_rate"],
            row["open"],
            row["overdue"],
        )
        for row in found["ranking"]
    ]
    assert ranking == [
        ("110101", 3, 2, 0.5, 1, 1),  # A B E received; I overdue
        ("110000", 1, 0, None, 1, 1),  # its own: D
        ("110102", 2, 0, None, 1, 0),  # C F
    ]
    assert found["ranking"][1]["name"] == "北京市教育委员会（本级）"
    weekly = [(row["week_start"], row["received"], row["closed"]) for row in found["weekly"]]
    assert weekly == [
        ("2030-02-25", 0, 0),
        ("2030-03-04", 5, 0),
        ("2030-03-11", 0, 0),
        ("2030-03-18", 0, 1),
        ("2030-03-25", 1, 1),
    ]


def test_the_ministry_sees_every_province_and_a_county_its_own(
    api: Api, leaders: dict[str, dict[str, str]]
) -> None:
    national = summary(api, leaders["000000"])
    assert national["figures"]["received"] == 7  # H of 河北 too
    ranking = [(row["code"], row["overdue"]) for row in national["ranking"]]
    assert ranking == [("110000", 2), ("130000", 1), ("000000", 0)]

    county = summary(api, leaders["110101"])
    assert (county["figures"]["received"], county["figures"]["closed"]) == (3, 2)
    assert county["backlog"]["open"] == 1  # I
    assert [row["code"] for row in county["ranking"]] == ["110101"]

    # A county's figures are counted from its cases, the province's from the summary tables:
    # the same follow-ups and reviews (A's and B's).
    province = summary(api, leaders["110000"])["figures"]
    aftercare = ("followed_up", "follow_ups", "reviews_requested", "reviews_upheld")
    assert {k: county["figures"][k] for k in aftercare} == {k: province[k] for k in aftercare}
    assert county["previous"]["reviews_reopened"] == 1  # G
    assert national["figures"]["follow_ups"] == province["follow_ups"]

    drilled = summary(api, leaders["110000"], unit="110101")
    assert drilled["figures"] == county["figures"]
    assert [unit["code"] for unit in drilled["trail"]] == ["110000", "110101"]


def test_a_chosen_period_and_the_one_before_it(
    api: Api, leaders: dict[str, dict[str, str]]
) -> None:
    found = summary(api, leaders["110000"], **{"from": "2030-03-11", "to": "2030-03-24"})
    assert found["previous_period"] == {"start": "2030-02-25", "end": "2030-03-10"}
    assert found["figures"]["received"] == 0
    assert (found["figures"]["closed"], found["figures"]["withdrawn"]) == (1, 1)  # A, C
    assert found["previous"]["received"] == 6  # I, then A B C D E in early March
    assert [row["week_start"] for row in found["weekly"]] == ["2030-03-11", "2030-03-18"]


def test_a_sibling_or_a_unit_above_is_404_and_bad_input_422(
    api: Api, leaders: dict[str, dict[str, str]]
) -> None:
    county = leaders["110101"]
    for unit in ("110102", "110000", "130102", "999999"):
        response = api.client.get("/api/stats/summary", params={"unit": unit}, headers=county)
        assert response.status_code == 404, unit
        assert response.json()["detail"] == "没有这个单位，或不在本单位的统计范围内"
        backlog = api.client.get("/api/stats/backlog", params={"unit": unit}, headers=county)
        assert backlog.status_code == 404
    backwards = api.client.get(
        "/api/stats/summary", params={"from": "2030-03-10", "to": "2030-03-01"}, headers=county
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["loc"] == ["query", "to"]
    assert backwards.json()["detail"][0]["msg"] == "结束日期不能早于开始日期"
    not_a_day = api.client.get("/api/stats/summary", params={"from": "3月"}, headers=county)
    assert not_a_day.status_code == 422
    assert not_a_day.json()["detail"][0]["loc"] == ["query", "from"]
    clerk = api.headers_for("clerk110000", unit_code="110000", role="clerk")
    assert api.client.get("/api/stats/summary", headers=clerk).status_code == 403


def test_the_backlog_alone(api: Api, leaders: dict[str, dict[str, str]]) -> None:
    response = api.client.get("/api/stats/backlog", headers=leaders["110000"])
    assert response.status_code == 200
    assert (response.json()["open"], response.json()["overdue"]) == (3, 2)


def test_the_workbook_has_the_period_first_and_the_same_figures(
    api: Api, leaders: dict[str, dict[str, str]]
) -> None:
    response = api.client.get("/api/stats/summary.xlsx", headers=leaders["110000"])
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    rows = [tuple(cell for cell in row if cell is not None) for row in sheet.values]
    assert rows[0] == ("督办统计：北京市教育委员会（110000）及其下级",)
    assert rows[1] == ("统计期间", "2030-03-01 至 2030-03-31（31 天）")
    assert rows[2] == ("对比期间", "2030-02-01 至 2030-02-28（28 天）")
    assert ("受理", 6, 2) in rows
    assert ("按时办结率", "50.0%", "100.0%") in rows
    assert ("下发核查单", 4, 3, "75.0%", 2, 4) in rows
    assert ("层级争议裁定", 1, 0, "0.0%", 4, 4) in rows
    assert ("回访", 2, 0) in rows
    assert ("回访满意（占比）", "1（50.0%）", "0（—）") in rows
    assert ("回访未联系上（占比）", "0（0.0%）", "0（—）") in rows
    assert ("申请复核", 1, 1) in rows
    assert ("复核维持原办理结果", 1, 0) in rows
    assert ("复核后重新办理", 0, 1) in rows
    assert ("东城区教育局", "110101", 3, 2, "50.0%", 1, 1) in rows
    assert ("2030-03-25", 1, 1) in rows
