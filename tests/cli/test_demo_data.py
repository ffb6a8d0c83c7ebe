"""The demo organisation tree in xueji/data (written by tools/build_demo_tree.py)."""

import csv
from collections import Counter
from pathlib import Path

import pytest

from domain.ids import normalize_phone, normalize_school_code, normalize_unit_code
from tests.support.demo import DEMO_SCHOOLS_CSV, DEMO_UNITS_CSV

# GB/T 2260 codes of the 31 provincial-level divisions of the mainland.
PREFIX_RANGES = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65))
PROVINCES = {f"{p}0000" for low, high in PREFIX_RANGES for p in range(low, high + 1)}
LEVEL_RANK = {"national": 0, "provincial": 1, "prefectural": 2, "county": 3}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def units() -> dict[str, dict[str, str]]:
    rows = read(DEMO_UNITS_CSV)
    codes = Counter(row["code"] for row in rows)
    assert [code for code, n in codes.items() if n > 1] == []
    return {row["code"]: row for row in rows}


@pytest.fixture(scope="module")
def schools() -> list[dict[str, str]]:
    return read(DEMO_SCHOOLS_CSV)


def children(units: dict[str, dict[str, str]], parent: str) -> dict[str, dict[str, str]]:
    return {code: row for code, row in units.items() if row["parent_code"] == parent}


def test_headers() -> None:
    assert DEMO_UNITS_CSV.read_text(encoding="utf-8").splitlines()[0] == (
        "code,name,level,parent_code,phone,email"
    )
    assert DEMO_SCHOOLS_CSV.read_text(encoding="utf-8").splitlines()[0] == "code,name,unit_code"


def test_one_root_the_ministry(units: dict[str, dict[str, str]]) -> None:
    roots = [row for row in units.values() if not row["parent_code"]]
    assert len(roots) == 1
    assert roots[0]["code"] == "000000"
    assert roots[0]["name"] == "中华人民共和国教育部"
    assert roots[0]["level"] == "national"


def test_provincial_units_are_the_31_provinces_and_the_corps(
    units: dict[str, dict[str, str]],
) -> None:
    provincial = children(units, "000000")
    assert set(provincial) == PROVINCES | {"660000"}
    assert {row["level"] for row in provincial.values()} == {"provincial"}
    assert provincial["130000"]["name"] == "河北省教育厅"
    assert provincial["110000"]["name"] == "北京市教育委员会"
    assert provincial["500000"]["name"] == "重庆市教育委员会"
    assert provincial["650000"]["name"] == "新疆维吾尔自治区教育厅"


def test_corps_is_its_own_subtree(units: dict[str, dict[str, str]]) -> None:
    corps = units["660000"]
    assert corps["name"] == "新疆生产建设兵团教育局"
    assert (corps["level"], corps["parent_code"]) == ("provincial", "000000")
    divisions = children(units, "660000")
    assert divisions
    assert all(code.startswith("66") for code in divisions)
    assert {row["level"] for row in divisions.values()} == {"prefectural"}
    assert all(not code.startswith("66") for code in children(units, "650000"))


def test_hebei_has_its_11_prefectures(units: dict[str, dict[str, str]]) -> None:
    prefectures = {
        code: row["name"]
        for code, row in children(units, "130000").items()
        if row["level"] == "prefectural"
    }
    assert len(prefectures) == 11
    assert prefectures["130100"] == "石家庄市教育局"
    assert prefectures["131100"] == "衡水市教育局"
    assert units["130123"]["name"] == "正定县教育局"
    assert units["130123"]["parent_code"] == "130100"
    assert units["130102"]["name"] == "长安区教育局"


def test_zhejiang_has_its_11_prefectures(units: dict[str, dict[str, str]]) -> None:
    prefectures = list(children(units, "330000").values())
    assert len(prefectures) == 11
    assert {row["level"] for row in prefectures} == {"prefectural"}
    assert units["330106"]["name"] == "西湖区教育局"


def test_municipality_districts_sit_under_the_municipality(
    units: dict[str, dict[str, str]],
) -> None:
    assert units["110108"]["name"] == "海淀区教育局"
    assert (units["110108"]["level"], units["110108"]["parent_code"]) == ("county", "110000")


def test_every_parent_exists_one_level_or_more_up(units: dict[str, dict[str, str]]) -> None:
    for code, row in units.items():
        if code == "000000":
            continue
        parent = units[row["parent_code"]]
        assert LEVEL_RANK[parent["level"]] < LEVEL_RANK[row["level"]], code
        if row["level"] != "county":
            assert LEVEL_RANK[parent["level"]] == LEVEL_RANK[row["level"]] - 1, code


def test_contacts_are_visibly_fake(units: dict[str, dict[str, str]]) -> None:
    for row in units.values():
        assert row["phone"].startswith("0000-"), row
        assert normalize_phone(row["phone"]) == row["phone"]
        assert row["email"].endswith("@example.invalid"), row


def test_unit_codes_and_names(units: dict[str, dict[str, str]]) -> None:
    for code, row in units.items():
        assert normalize_unit_code(code) == code
        assert row["level"] in LEVEL_RANK
        assert row["name"].endswith(("教育部", "教育厅", "教育委员会", "教育局")), row
    names = Counter(row["name"] for row in units.values())
    assert [name for name, n in names.items() if n > 1] == []


def test_schools(units: dict[str, dict[str, str]], schools: list[dict[str, str]]) -> None:
    assert 0 < len(schools) <= 5000
    codes = Counter(row["code"] for row in schools)
    assert [code for code, n in codes.items() if n > 1] == []
    names = Counter(row["name"] for row in schools)
    assert [name for name, n in names.items() if n > 1] == []
    for row in schools:
        assert normalize_school_code(row["code"]) == row["code"]
        assert units[row["unit_code"]]["level"] != "national", row
    levels = Counter(units[row["unit_code"]]["level"] for row in schools)
    assert levels["county"] > levels["prefectural"] > 0
    assert levels["provincial"] > 0
    counties = {code for code, row in units.items() if row["level"] == "county"}
    assert counties <= {row["unit_code"] for row in schools}


def test_orgtree_loads_the_demo_files_and_routes_over_them() -> None:
    from domain.orgtree import OrgTree
    from domain.routing import responsible_unit

    tree = OrgTree.load(DEMO_UNITS_CSV, DEMO_SCHOOLS_CSV)
    assert tree.root.code == "000000"
    cases = [
        (["2130123001"], "130123"),  # one school: 正定县
        (["2130123001", "2130123002"], "130123"),  # two schools of one county
        (["2130123001", "2130102001"], "130100"),  # 正定县 and 长安区: 石家庄市
        (["2130100001", "2130123001"], "130100"),  # 市直属 and a county school: the city
        (["2130123001", "2131102001"], "130000"),  # 石家庄 and 衡水: 河北省
        (["2130123001", "2330106001"], "000000"),  # Hebei and Zhejiang: the Ministry
        (["2110101001", "2110102001"], "110000"),  # two districts of Beijing
        (["2660100001", "2660200001"], "660000"),  # two divisions of the Corps
    ]
    for school_codes, handling_unit in cases:
        assert responsible_unit(tree, school_codes).code == handling_unit, school_codes
