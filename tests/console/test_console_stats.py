"""督办统计 in the console over HTTP on both stores, on the hand-built cases of
tests/support/stats_cases.py: the page shows the JSON route's figures, each unit below a link
one level down (a county to its cases), a sibling 404, bad dates 422 with what was typed,
other roles 403, and the workbook."""

from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from store.db import session_scope
from tests.support.api_support import PASSWORD, Api
from tests.support.stats_cases import NOW, add_oversight_cases


def console_of(api: Api, username: str, unit: str, role: str = "leader") -> TestClient:
    api.add_user(username, unit_code=unit, role=role)
    client = TestClient(api.client.app)
    form = {"username": username, "password": PASSWORD, "next": "/console"}
    signed = client.post("/console/login", data=form, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    return client


@pytest.fixture
def province(api: Api) -> TestClient:
    api.clock.now = NOW
    with session_scope(api.engine) as session:
        add_oversight_cases(session)
    return console_of(api, "bj_leader", "110000")


def test_the_page_shows_the_figures_and_leads_one_level_down(
    api: Api, province: TestClient
) -> None:
    page = province.get("/console/stats")
    assert page.status_code == 200
    html = page.text
    assert 'href="/console/stats" aria-current="page">督办统计' in html
    assert "2030-03-01 至 2030-03-31" in html
    assert (
        '<th scope="row">按时办结率</th><td class="num">50.0%</td><td class="num">100.0%</td>'
        in (html)
    )
    # The follow-up answers' shares (of the calls recorded) and the reviews (复核).
    assert (
        '<th scope="row">回访不满意（占比）</th><td class="num">1（50.0%）</td>'
        '<td class="num">0（—）</td>'
    ) in html
    assert '<th scope="row">复核后重新办理</th><td class="num">0</td><td class="num">1</td>' in html
    assert '<title id="weekly-chart">每周受理与办结件数</title>' in html  # drawn on the server
    assert "<title>东城区教育局按时办结率 50.0%</title>" in html
    # The counties below the province open their cases, the province's own row its cases.
    assert (
        'href="/console/cases?handling_unit=110101&amp;received_from=2030-03-01&amp;'
        'received_to=2030-03-31">东城区教育局</a>'
    ) in html
    assert "/console/stats.xlsx?unit=110000&amp;from=2030-03-01&amp;to=2030-03-31" in html

    ministry = console_of(api, "moe_leader", "000000")
    national = ministry.get("/console/stats")
    assert 'href="/console/stats?unit=110000&amp;from=2030-03-01&amp;to=2030-03-31"' in (
        national.text
    )
    drilled = ministry.get("/console/stats", params={"unit": "110000", "from": "2030-03-01"})
    assert drilled.status_code == 200
    assert '<span aria-current="page">北京市教育委员会</span>' in drilled.text
    assert '<a href="/console/stats?unit=000000&amp;from=2030-03-01' in drilled.text

    year = province.get("/console/stats", params={"from": "2029-04-01", "to": "2030-03-31"})
    assert year.status_code == 200
    chart = year.text.split('aria-labelledby="weekly-chart')[1].split("</svg>")[0]
    assert chart.count("<rect") == 2 * 53  # a bar each for received and closed, 53 weeks
    assert chart.count("<text") <= 2 + 14  # the scale and every few weeks' date, no crowd
    assert '<th scope="row">2030-03-25</th>' in year.text  # every week in the table

    workbook = province.get("/console/stats.xlsx", params={"from": "2030-03-11"})
    assert workbook.status_code == 200
    sheet = load_workbook(BytesIO(workbook.content)).active
    assert sheet is not None
    assert sheet["B2"].value == "2030-03-11 至 2030-03-29（19 天）"
    assert sheet["A6"].value == "导出人"
    assert str(sheet["B6"].value).endswith("（bj_leader）")


def test_refusals_are_pages(api: Api, province: TestClient) -> None:
    sibling = province.get("/console/stats", params={"unit": "130000"})
    assert sibling.status_code == 404
    assert "没有这个单位，或不在本单位的统计范围内" in sibling.text

    wrong = province.get("/console/stats", params={"from": "2030-3-1x", "to": "2030-03-05"})
    assert wrong.status_code == 422
    assert "起始日：应为日期，如 2030-03-01" in wrong.text
    assert 'value="2030-3-1x"' in wrong.text and 'value="2030-03-05"' in wrong.text
    backwards = province.get("/console/stats", params={"from": "2030-03-05", "to": "2030-03-01"})
    assert backwards.status_code == 422
    assert "截止日：结束日期不能早于开始日期" in backwards.text

    county = console_of(api, "dc_leader", "110101")
    assert county.get("/console/stats", params={"unit": "110102"}).status_code == 404
    clerk = console_of(api, "bj_clerk", "110000", role="clerk")
    assert clerk.get("/console/stats").status_code == 403
    assert clerk.get("/console/stats.xlsx").status_code == 403
    assert 'href="/console/stats"' not in clerk.get("/console").text  # no menu entry
