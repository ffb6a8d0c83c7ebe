"""Who is responsible, who rules a dispute, and the level-by-level way (domain/routing.py).

The tables follow DESIGN §3 sentence by sentence on a small tree with real division codes;
the properties check the same rules on generated trees against a naive walk up the parents.
"""

from collections.abc import Callable
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.orgtree import Level, OrgTree, UnknownCodeError
from domain.routing import (
    EmptyComplaintError,
    RoutingError,
    responsible_unit,
    route,
    ruling_unit,
)

UNITS = [
    ("000000", "中华人民共和国教育部", "national", ""),
    ("130000", "河北省教育厅", "provincial", "000000"),
    ("130100", "石家庄市教育局", "prefectural", "130000"),
    ("130102", "石家庄市长安区教育局", "county", "130100"),
    ("130104", "石家庄市桥西区教育局", "county", "130100"),
    ("130600", "保定市教育局", "prefectural", "130000"),
    ("130602", "保定市竞秀区教育局", "county", "130600"),
    ("410000", "河南省教育厅", "provincial", "000000"),
    ("410100", "郑州市教育局", "prefectural", "410000"),
    ("410102", "郑州市中原区教育局", "county", "410100"),
    ("110000", "北京市教育委员会", "provincial", "000000"),
    ("110101", "东城区教育委员会", "county", "110000"),  # a municipality's district
    ("650000", "新疆维吾尔自治区教育厅", "provincial", "000000"),
    ("650100", "乌鲁木齐市教育局", "prefectural", "650000"),
    ("660000", "新疆生产建设兵团教育局", "provincial", "000000"),  # not under Xinjiang
    ("660100", "第一师教育局", "prefectural", "660000"),
]
SCHOOLS = [
    ("2130102001", "长安区第一中学", "130102"),
    ("2130102002", "长安区实验小学", "130102"),
    ("2130104001", "桥西区第一中学", "130104"),
    ("2130602001", "竞秀区第一中学", "130602"),
    ("2130100001", "石家庄市第一中学", "130100"),  # 市直属
    ("2130600001", "保定市第一中学", "130600"),  # 市直属
    ("2130000001", "河北省实验中学", "130000"),  # 省直属
    ("2410102001", "中原区第一中学", "410102"),
    ("2110101001", "东城区第一中学", "110101"),
    ("2650100001", "乌鲁木齐市第一中学", "650100"),
    ("2660100001", "第一师高级中学", "660100"),  # Corps division
    ("2660000001", "兵团第二中学", "660000"),  # Corps-direct
]

TREE = OrgTree.from_records(
    [dict(zip(("code", "name", "level", "parent_code"), unit, strict=True)) for unit in UNITS],
    [dict(zip(("code", "name", "unit_code"), school, strict=True)) for school in SCHOOLS],
)

# --- the handling unit (处理责任单位) ------------------------------------------------------

HANDLING = {
    # "One school: its supervising unit." At each level a school can be supervised from.
    "one school of a county": (["2130102001"], [], "130102"),
    "one 市直属 school": (["2130100001"], [], "130100"),
    "one 省直属 school": (["2130000001"], [], "130000"),
    "one school of a municipality's district": (["2110101001"], [], "110101"),
    "one school of a Corps division": (["2660100001"], [], "660100"),
    "one Corps-direct school": (["2660000001"], [], "660000"),
    "the same school twice": (["2130102001", "2130102001"], [], "130102"),
    # "Two schools in one county: the county."
    "two schools in one county": (["2130102001", "2130102002"], [], "130102"),
    # "in two counties of one prefecture: the prefecture"
    "two counties of one prefecture": (["2130102001", "2130104001"], [], "130100"),
    # "two prefectures of one province: the province"
    "two prefectures of one province": (["2130104001", "2130602001"], [], "130000"),
    "two 市直属 schools of one province": (["2130100001", "2130600001"], [], "130000"),
    "市直属 and a county of another prefecture": (["2130100001", "2130602001"], [], "130000"),
    # "two provinces: the Ministry"
    "two provinces": (["2130102001", "2410102001"], [], "000000"),
    "a municipality and a province": (["2110101001", "2130000001"], [], "000000"),
    "the Corps and Xinjiang": (["2660100001", "2650100001"], [], "000000"),
    # "A 市直属 school and a school of one of that city's counties: the city."
    "市直属 and a school of that city's county": (["2130100001", "2130102001"], [], "130100"),
    "省直属 and a county school": (["2130000001", "2130602001"], [], "130000"),
    "Corps division and Corps-direct": (["2660100001", "2660000001"], [], "660000"),
    # Three or more schools.
    "three schools of one prefecture": (
        ["2130102001", "2130102002", "2130104001"],
        [],
        "130100",
    ),
    "three schools of one province": (["2130102001", "2130104001", "2130602001"], [], "130000"),
    "four schools, two provinces": (
        ["2130102001", "2130102002", "2130104001", "2410102001"],
        [],
        "000000",
    ),
    # "A complaint may also name bureaus it involves; they join the common-ancestor computation."
    "a bureau only": ([], ["130600"], "130600"),
    "two bureaus only": ([], ["130102", "130602"], "130000"),
    "the Ministry named": ([], ["000000"], "000000"),
    "a school and its own county": (["2130102001"], ["130102"], "130102"),
    "a school and a sibling county": (["2130102001"], ["130104"], "130100"),
    "a school and its province": (["2130102001"], ["130000"], "130000"),
    "a school and another province": (["2130102001"], ["410000"], "000000"),
    "two schools of a county and its prefecture": (
        ["2130102001", "2130102002"],
        ["130100"],
        "130100",
    ),
}


@pytest.mark.parametrize(("schools", "units", "expected"), HANDLING.values(), ids=HANDLING.keys())
def test_handling_unit(schools: list[str], units: list[str], expected: str) -> None:
    assert responsible_unit(TREE, schools, units) == TREE.unit(expected)
    assert responsible_unit(TREE, iter(schools), iter(units)).code == expected


def test_single_school_without_bureaus_argument() -> None:
    assert responsible_unit(TREE, ["2130602001"]) == TREE.unit("130602")


# --- disputes about the level (处理层级有争议) -------------------------------------------------

RULINGS = {
    # "the lowest unit that is a strict ancestor of every party; a party never rules on its
    # own case"
    "county vs its prefecture": (["130102", "130100"], "130000"),
    "prefecture vs its county": (["130100", "130102"], "130000"),
    "two sibling counties": (["130102", "130104"], "130100"),
    "counties of two prefectures": (["130102", "130602"], "130000"),
    "county vs its province": (["130102", "130000"], "000000"),
    "district vs its municipality": (["110101", "110000"], "000000"),
    "two provinces": (["130000", "410000"], "000000"),
    "Corps division vs the Corps": (["660100", "660000"], "000000"),
    "a county alone": (["130102"], "130100"),
    "the same county twice": (["130102", "130102"], "130100"),
    # "except the Ministry, which has no superior"
    "province vs the Ministry": (["130000", "000000"], "000000"),
    "the Ministry alone": (["000000"], "000000"),
}


@pytest.mark.parametrize(("parties", "expected"), RULINGS.values(), ids=RULINGS.keys())
def test_ruling_unit(parties: list[str], expected: str) -> None:
    assert ruling_unit(TREE, parties) == TREE.unit(expected)
    assert ruling_unit(TREE, iter(parties)).code == expected


# --- level by level (逐级) ---------------------------------------------------------------------

ROUTES = {
    "down two levels": ("130000", "130102", ["130000", "130100", "130102"]),
    "up to the Ministry": ("130102", "000000", ["130102", "130100", "130000", "000000"]),
    "across a province": ("130102", "130602", ["130102", "130100", "130000", "130600", "130602"]),
    "across provinces": (
        "130104",
        "410102",
        ["130104", "130100", "130000", "000000", "410000", "410100", "410102"],
    ),
    "to a school": ("130000", "2130102001", ["130000", "130100", "130102", "2130102001"]),
    "from a school": ("2130100001", "130100", ["2130100001", "130100"]),
    "school to school": (
        "2130102001",
        "2130104001",
        ["2130102001", "130102", "130100", "130104", "2130104001"],
    ),
    "Ministry to a Corps school": (
        "000000",
        "2660100001",
        ["000000", "660000", "660100", "2660100001"],
    ),
    "same unit": ("130100", "130100", ["130100"]),
    "same school": ("2130102001", "2130102001", ["2130102001"]),
}


@pytest.mark.parametrize(("start", "end", "expected"), ROUTES.values(), ids=ROUTES.keys())
def test_route(start: str, end: str, expected: list[str]) -> None:
    assert route(TREE, start, end) == [TREE.get(code) for code in expected]


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "code", "message"),
    [
        (
            lambda: responsible_unit(TREE, ["2999999999"]),
            "2999999999",
            "学校标识码 2999999999 不存在",
        ),
        (
            lambda: responsible_unit(TREE, ["130102"]),
            "130102",
            "130102 是教育行政部门代码，不是学校标识码",
        ),
        (
            lambda: responsible_unit(TREE, [], ["999999"]),
            "999999",
            "教育行政部门代码 999999 不存在",
        ),
        (
            lambda: responsible_unit(TREE, ["2130102001"], ["2130102002"]),
            "2130102002",
            "2130102002 是学校标识码，不是教育行政部门代码",
        ),
        (lambda: route(TREE, "130102", "139999"), "139999", "139999 不存在"),
        (lambda: route(TREE, "2139999999", "130102"), "2139999999", "2139999999 不存在"),
        (lambda: ruling_unit(TREE, ["130102", "139999"]), "139999", "139999 不存在"),
        (lambda: ruling_unit(TREE, ["2130102001"]), "2130102001", "不是教育行政部门代码"),
    ],
    ids=[
        "unknown school",
        "a bureau as a school",
        "unknown bureau",
        "a school as a bureau",
        "route to an unknown code",
        "route from an unknown school",
        "unknown party",
        "a school as a party",
    ],
)
def test_errors_name_the_code(call: Callable[[], object], code: str, message: str) -> None:
    with pytest.raises(UnknownCodeError) as caught:
        call()
    assert caught.value.code == code
    assert message in str(caught.value)


def test_an_empty_complaint_is_refused() -> None:
    with pytest.raises(EmptyComplaintError) as caught:
        responsible_unit(TREE, [], [])
    assert isinstance(caught.value, RoutingError) and isinstance(caught.value, ValueError)
    assert "未涉及任何学校或教育行政部门" in str(caught.value)
    with pytest.raises(EmptyComplaintError):
        responsible_unit(TREE, iter(()))


def test_a_dispute_needs_a_party() -> None:
    with pytest.raises(RoutingError, match="至少要有一个争议方"):
        ruling_unit(TREE, [])


# --- properties on generated trees -------------------------------------------------------------

_CHILD_LEVELS = {
    "national": ["provincial"],
    "provincial": ["prefectural", "county"],
    "prefectural": ["county"],
    "county": [],
}


@st.composite
def org_trees(draw: st.DrawFn) -> OrgTree:
    """A valid tree of up to 30 bureaus and 30 schools, usually rooted at a national unit."""
    root_level = draw(st.sampled_from(["national", "national", "national", "provincial"]))
    units = [{"code": "000000", "name": "根", "level": root_level, "parent_code": ""}]
    for number in range(1, draw(st.integers(0, 29)) + 1):
        parents = [unit for unit in units if _CHILD_LEVELS[unit["level"]]]
        parent = draw(st.sampled_from(parents))
        level = draw(st.sampled_from(_CHILD_LEVELS[parent["level"]]))
        code = f"{number:06d}"
        units.append({"code": code, "name": code, "level": level, "parent_code": parent["code"]})
    supervisors = [unit["code"] for unit in units if unit["level"] != "national"]
    schools = [
        {"code": f"{9000000000 + number}", "name": f"学校{number}", "unit_code": unit_code}
        for number, unit_code in enumerate(
            draw(st.lists(st.sampled_from(supervisors), max_size=30)) if supervisors else []
        )
    ]
    return OrgTree.from_records(units, schools)


def ancestors_or_self(tree: OrgTree, code: str) -> list[str]:
    """Naively, by walking up the parents: the node first, the root last."""
    chain = [code]
    while (parent := tree.parent(chain[-1])) is not None:
        chain.append(parent.code)
    return chain


def sub_units(tree: OrgTree, code: str) -> list[str]:
    return [child.code for child in tree.children(code) if child.level is not Level.SCHOOL]


@st.composite
def trees_and_complaints(draw: st.DrawFn) -> tuple[OrgTree, list[str], list[str]]:
    tree = draw(org_trees())
    school_codes = [school.code for school in tree.schools()]
    unit_codes = [unit.code for unit in tree.units()]
    schools = draw(st.lists(st.sampled_from(school_codes), max_size=4)) if school_codes else []
    units = draw(st.lists(st.sampled_from(unit_codes), min_size=0 if schools else 1, max_size=3))
    return tree, schools, units


@settings(max_examples=150)
@given(trees_and_complaints())
def test_the_handling_unit_is_the_lowest_common_ancestor(
    case: tuple[OrgTree, list[str], list[str]],
) -> None:
    tree, schools, units = case
    involved = [tree.supervising_unit(code).code for code in schools] + units
    handling = responsible_unit(tree, schools, units).code
    assert all(handling in ancestors_or_self(tree, code) for code in involved)
    for child in sub_units(tree, handling):
        assert not all(child in ancestors_or_self(tree, code) for code in involved)


@settings(max_examples=150)
@given(org_trees(), st.data())
def test_a_route_is_contiguous_and_has_the_right_ends(tree: OrgTree, data: st.DataObject) -> None:
    codes = sorted(unit.code for unit in [*tree.units(), *tree.schools()])
    start, end = data.draw(st.sampled_from(codes)), data.draw(st.sampled_from(codes))
    way = [node.code for node in route(tree, start, end)]
    assert way[0] == start and way[-1] == end
    assert len(set(way)) == len(way)
    top = min(range(len(way)), key=lambda index: len(ancestors_or_self(tree, way[index])))
    for index, (here, there) in enumerate(pairwise(way)):
        if index < top:
            assert tree.get(here).parent_code == there  # up to the common ancestor
        else:
            assert tree.get(there).parent_code == here  # then down


@settings(max_examples=150)
@given(org_trees(), st.data())
def test_the_ruling_unit_is_the_lowest_strict_common_ancestor(
    tree: OrgTree, data: st.DataObject
) -> None:
    unit_codes = [unit.code for unit in tree.units()]
    parties = data.draw(st.lists(st.sampled_from(unit_codes), min_size=1, max_size=3))
    ruling = ruling_unit(tree, parties).code
    if ruling == tree.root.code and tree.root.code in parties:
        return  # the root rules itself: it has no superior
    assert all(ruling in ancestors_or_self(tree, party)[1:] for party in parties)
    for child in sub_units(tree, ruling):
        assert not all(child in ancestors_or_self(tree, party)[1:] for party in parties)


@settings(max_examples=100)
@given(org_trees())
def test_paths_follow_the_parent_links(tree: OrgTree) -> None:
    for node in [*tree.units(), *tree.schools()]:
        assert tree.path(node.code) == tuple(reversed(ancestors_or_self(tree, node.code)))
