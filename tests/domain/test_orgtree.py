"""The organisation tree: loading, validation of every record, look-ups (domain/orgtree*.py)."""

import json
from pathlib import Path

import pytest

from domain.orgtree import (
    Level,
    OrgTree,
    OrgTreeError,
    OrgUnit,
    TreeRecordError,
    UnknownCodeError,
)
from domain.orgtree_files import read_uploads

UNITS_CSV = """\
code,name,level,parent_code,phone,email
000000,中华人民共和国教育部,national,,010-66096114,jyb@example.invalid
130000,河北省教育厅,provincial,000000,0311-66005000,hebei@example.invalid
130100,石家庄市教育局,prefectural,130000,,
130102,长安区教育局,county,130100,,
130104,桥西区教育局,county,130100,,
110000,北京市教育委员会,provincial,000000,,
110101,东城区教育委员会,county,110000,,
660000,新疆生产建设兵团教育局,provincial,000000,,
660100,第一师教育局,prefectural,660000,,
"""

SCHOOLS_CSV = """\
code,name,unit_code
2130102001,长安区第一中学,130102
2130100001,石家庄市第一中学,130100
2130000001,河北省实验中学,130000
2110101001,东城区第一中学,110101
2660100001,第一师高级中学,660100
"""


def _records(text: str) -> list[dict[str, str]]:
    header, *rows = text.splitlines()
    return [dict(zip(header.split(","), row.split(","), strict=True)) for row in rows]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load_csv(tmp_path: Path, units: str = UNITS_CSV, schools: str = SCHOOLS_CSV) -> OrgTree:
    return OrgTree.load(
        write(tmp_path, "units.csv", units), write(tmp_path, "schools.csv", schools)
    )


def refused(tmp_path: Path, units: str = UNITS_CSV, schools: str = SCHOOLS_CSV) -> list[str]:
    """The errors of a refused load, as ``file:line: message`` with the directory removed."""
    with pytest.raises(OrgTreeError) as caught:
        load_csv(tmp_path, units, schools)
    assert str(caught.value) == "\n".join(str(error) for error in caught.value.errors)
    return [str(error).replace(f"{tmp_path}/", "") for error in caught.value.errors]


# --- loading ----------------------------------------------------------------------------------


def test_load_csv(tmp_path: Path) -> None:
    tree = load_csv(tmp_path)
    assert len(tree) == 9 + 5
    assert tree.root.code == "000000"
    assert tree.unit("000000") == OrgUnit(
        "000000",
        "中华人民共和国教育部",
        Level.NATIONAL,
        None,
        "010-66096114",
        "jyb@example.invalid",
    )
    assert tree.get("130100").name == "石家庄市教育局"
    school = tree.school("2130100001")
    assert school == OrgUnit("2130100001", "石家庄市第一中学", Level.SCHOOL, "130100")
    assert school.is_school and not tree.unit("130100").is_school
    assert tree.supervising_unit("2130100001").code == "130100"
    assert "2130102001" in tree and "130102" in tree and "999999" not in tree
    assert len(list(tree.units())) == 9 and len(list(tree.schools())) == 5


def test_load_json_gives_the_same_tree(tmp_path: Path) -> None:
    units = write(tmp_path, "units.json", json.dumps(_records(UNITS_CSV), ensure_ascii=False))
    schools = write(tmp_path, "schools.json", json.dumps(_records(SCHOOLS_CSV)))
    from_json = OrgTree.load(units, str(schools))
    from_csv = load_csv(tmp_path)
    assert list(from_json.units()) == list(from_csv.units())
    assert list(from_json.schools()) == list(from_csv.schools())


def test_uploaded_files_read_as_the_same_files_on_disk(tmp_path: Path) -> None:
    """The console's upload (bytes and the file's name) reads as `xueji org import` does."""
    units = json.dumps(_records(UNITS_CSV), ensure_ascii=False).encode()
    uploaded = read_uploads("units.json", units, "schools.csv", SCHOOLS_CSV.encode("utf-8-sig"))
    from_csv = load_csv(tmp_path)
    assert list(uploaded.units()) == list(from_csv.units())
    assert list(uploaded.schools()) == list(from_csv.schools())
    with pytest.raises(OrgTreeError) as caught:
        read_uploads("units.xlsx", b"", "schools.csv", b"code,name\xff\xfe")
    assert [str(error) for error in caught.value.errors] == [
        "units.xlsx:1: 不支持的文件类型“.xlsx”，应为 .csv 或 .json",
        "schools.csv:1: 文件不是 UTF-8 编码，请另存为 UTF-8 后再导入",
    ]


def test_json_root_may_have_a_null_parent_and_no_phone(tmp_path: Path) -> None:
    units = [
        {"code": "000000", "name": "教育部", "level": "national", "parent_code": None},
        {"code": "130000", "name": "河北省教育厅", "level": "provincial", "parent_code": "000000"},
    ]
    tree = OrgTree.load(
        write(tmp_path, "u.json", json.dumps(units)), write(tmp_path, "s.json", "[]")
    )
    assert tree.unit("000000").parent_code is None and tree.unit("130000").phone == ""


def test_from_records() -> None:
    tree = OrgTree.from_records(_records(UNITS_CSV), _records(SCHOOLS_CSV))
    assert tree.parent("2660100001") == tree.unit("660100")


def test_bom_is_accepted(tmp_path: Path) -> None:
    tree = load_csv(tmp_path, "\ufeff" + UNITS_CSV, "\ufeff" + SCHOOLS_CSV)
    assert tree.root.code == "000000"
    assert tree.school("2130102001").parent_code == "130102"


def test_columns_in_any_order_phone_and_email_optional(tmp_path: Path) -> None:
    units = "level,code,parent_code,name\nnational,000000,,教育部\nprovincial,130000,000000,河北\n"
    schools = "unit_code,name,code\n130000,河北省实验中学,2130000001\n"
    tree = load_csv(tmp_path, units, schools)
    assert tree.unit("130000") == OrgUnit("130000", "河北", Level.PROVINCIAL, "000000")
    assert tree.school("2130000001").parent_code == "130000"


def test_blank_lines_and_surrounding_spaces_are_ignored(tmp_path: Path) -> None:
    units = UNITS_CSV.replace("130104,桥西区教育局", "\n 130104 , 桥西区教育局 ") + "\n,,,,,\n"
    tree = load_csv(tmp_path, units)
    assert tree.unit("130104").name == "桥西区教育局"


def test_a_province_can_run_its_own_subtree(tmp_path: Path) -> None:
    units = (
        "code,name,level,parent_code\n"
        "130000,河北省教育厅,provincial,\n"
        "130100,石家庄市教育局,prefectural,130000\n"
    )
    tree = load_csv(tmp_path, units, "code,name,unit_code\n2130100001,一中,130100\n")
    assert tree.root.code == "130000"
    assert tree.path("2130100001") == ("130000", "130100", "2130100001")
    assert tree.province_of("130100") == tree.root


# --- look-ups ---------------------------------------------------------------------------------


def test_path(tmp_path: Path) -> None:
    tree = load_csv(tmp_path)
    assert tree.path("000000") == ("000000",)
    assert tree.path("130102") == ("000000", "130000", "130100", "130102")
    assert tree.path("110101") == ("000000", "110000", "110101")
    assert tree.path("2130102001") == ("000000", "130000", "130100", "130102", "2130102001")
    assert tree.path("2130000001") == ("000000", "130000", "2130000001")
    assert tree.supervising_path("2130102001") == tree.path("130102")


def test_province_of(tmp_path: Path) -> None:
    tree = load_csv(tmp_path)
    assert tree.province_of("000000") is None
    assert tree.province_of("130000") == tree.unit("130000")
    assert tree.province_of("130102") == tree.unit("130000")
    assert tree.province_of("2130102001") == tree.unit("130000")
    assert tree.province_of("2110101001") == tree.unit("110000")
    assert tree.province_of("660100") == tree.unit("660000")  # the Corps, not Xinjiang


def test_children_and_parent(tmp_path: Path) -> None:
    tree = load_csv(tmp_path)
    assert [u.code for u in tree.children("000000")] == ["130000", "110000", "660000"]
    assert [u.code for u in tree.children("130000")] == ["130100", "2130000001"]
    assert [u.code for u in tree.children("130100")] == ["130102", "130104", "2130100001"]
    assert tree.children("130104") == []
    assert tree.children("2130102001") == []
    assert tree.parent("000000") is None
    assert tree.parent("130102") == tree.unit("130100")
    assert tree.parent("2130000001") == tree.unit("130000")


def test_unknown_codes_are_named(tmp_path: Path) -> None:
    tree = load_csv(tmp_path)
    cases = [
        (tree.get, "999999", "999999 不存在"),
        (tree.unit, "999999", "999999 不存在"),
        (tree.unit, "2130102001", "2130102001 是学校标识码，不是教育行政部门代码"),
        (tree.school, "2999999999", "2999999999 不存在"),
        (tree.school, "130102", "130102 是教育行政部门代码，不是学校标识码"),
        (tree.path, "2999999999", "2999999999 不存在"),
        (tree.children, "999999", "999999 不存在"),
        (tree.parent, "999999", "999999 不存在"),
        (tree.province_of, "999999", "999999 不存在"),
    ]
    for look_up, code, message in cases:
        with pytest.raises(UnknownCodeError) as caught:
            look_up(code)
        assert caught.value.code == code
        assert message in str(caught.value)
        assert isinstance(caught.value, KeyError) and isinstance(caught.value, ValueError)


# --- refusals: one bad record each ------------------------------------------------------------

COUNTY_ROW = "130102,长安区教育局,county,130100,,"
BARE_COUNTY_ROW = "130104,桥西区教育局,county,130100,,"  # no school under it
SCHOOL_ROW = "2130102001,长安区第一中学,130102"


def units_with(old: str, new: str) -> str:
    assert old in UNITS_CSV
    return UNITS_CSV.replace(old, new)


def schools_with(old: str, new: str) -> str:
    assert old in SCHOOLS_CSV
    return SCHOOLS_CSV.replace(old, new)


BAD_UNITS = {
    "unknown parent": (
        units_with(COUNTY_ROW, "130102,长安区教育局,county,130900,,"),
        "units.csv:5: 上级单位 130900 不存在",
    ),
    "duplicate code": (
        UNITS_CSV + "130102,长安区教育局（重复）,county,130100,,\n",
        "units.csv:11: 单位代码 130102 重复（首次出现在第5行）",
    ),
    "five digits": (
        units_with(BARE_COUNTY_ROW, "13010,桥西区教育局,county,130100,,"),
        "units.csv:6: 单位代码“13010”应为 6 位数字",
    ),
    "letters": (
        units_with(BARE_COUNTY_ROW, "13010X,桥西区教育局,county,130100,,"),
        "units.csv:6: 单位代码“13010X”应为 6 位数字",
    ),
    "full-width digits": (
        units_with(BARE_COUNTY_ROW, "１３０１０４,桥西区教育局,county,130100,,"),
        "units.csv:6: 单位代码“１３０１０４”应为 6 位数字",
    ),
    "bad parent code": (
        units_with(COUNTY_ROW, "130102,长安区教育局,county,1301,,"),
        "units.csv:5: 上级单位代码“1301”应为 6 位数字",
    ),
    "unknown level": (
        units_with(COUNTY_ROW, "130102,长安区教育局,district,130100,,"),
        "units.csv:5: 级别“district”无效，应为 national、provincial、prefectural、county",
    ),
    "school level in the units file": (
        units_with(COUNTY_ROW, "130102,长安区教育局,school,130100,,"),
        "units.csv:5: 级别“school”无效",
    ),
    "county under national": (
        units_with(COUNTY_ROW, "130102,长安区教育局,county,000000,,"),
        "units.csv:5: 县级单位不能隶属于国家级单位 000000",
    ),
    "prefectural under national": (
        units_with("130100,石家庄市教育局,prefectural,130000", "130100,石家庄,prefectural,000000"),
        "units.csv:4: 地市级单位不能隶属于国家级单位 000000",
    ),
    "prefectural under prefectural": (
        UNITS_CSV + "130101,市辖区,prefectural,130100,,\n",
        "units.csv:11: 地市级单位不能隶属于地市级单位 130100",
    ),
    "provincial under provincial": (
        units_with(
            "660000,新疆生产建设兵团教育局,provincial,000000", "660000,兵团,provincial,650000"
        )
        + "650000,新疆维吾尔自治区教育厅,provincial,000000,,\n",
        "units.csv:9: 省级单位不能隶属于省级单位 650000",
    ),
    "county under county": (
        UNITS_CSV + "130199,某县,county,130102,,\n",
        "units.csv:11: 县级单位不能隶属于县级单位 130102",
    ),
    "national with a parent": (
        UNITS_CSV + "999999,第二个部,national,000000,,\n",
        "units.csv:11: 国家级单位只能是根单位，不能有上级",
    ),
    "empty name": (
        units_with(COUNTY_ROW, "130102, ,county,130100,,"),
        "units.csv:5: 单位名称为空",
    ),
    "second root": (
        UNITS_CSV + "650000,新疆维吾尔自治区教育厅,provincial,,,\n",
        "units.csv:11: 多余的根单位 650000：上级单位代码为空，但根单位已是第2行的 000000",
    ),
    "wrong number of columns": (
        units_with(COUNTY_ROW, "130102,长安区教育局,county,130100,,,"),
        "units.csv:5: 有 7 列，与表头的 6 列不符",
    ),
    "missing header": (
        UNITS_CSV.split("\n", 1)[1],
        "units.csv:1: 缺少表头或表头缺少列：code、name、level、parent_code"
        "（第一行应为 code,name,level,parent_code,phone,email）",
    ),
    "missing column": (
        UNITS_CSV.replace("code,name,level,parent_code,phone,email", "code,name,parent_code"),
        "units.csv:1: 缺少表头或表头缺少列：level",
    ),
    "empty file": ("", "units.csv:1: 缺少表头或表头缺少列"),
    "header only": ("code,name,level,parent_code\n", "units.csv:1: 没有任何单位记录"),
}

BAD_SCHOOLS = {
    "unknown unit": (
        schools_with(SCHOOL_ROW, "2130102001,长安区第一中学,130109"),
        "schools.csv:2: 主管单位 130109 不存在",
    ),
    "no unit": (
        schools_with(SCHOOL_ROW, "2130102001,长安区第一中学,"),
        "schools.csv:2: 主管单位代码为空",
    ),
    "under the Ministry": (
        schools_with(SCHOOL_ROW, "2130102001,长安区第一中学,000000"),
        "schools.csv:2: 学校不能直属于国家级单位 000000",
    ),
    "duplicate code": (
        SCHOOLS_CSV + "2130102001,长安区第一中学（重复）,130102\n",
        "schools.csv:7: 学校标识码 2130102001 重复（首次出现在第2行）",
    ),
    "nine digits": (
        schools_with(SCHOOL_ROW, "213010200,长安区第一中学,130102"),
        "schools.csv:2: 学校标识码“213010200”应为 10 位数字",
    ),
    "a unit code": (
        schools_with(SCHOOL_ROW, "130102,长安区第一中学,130102"),
        "schools.csv:2: 学校标识码“130102”应为 10 位数字",
    ),
    "empty name": (
        schools_with(SCHOOL_ROW, "2130102001,,130102"),
        "schools.csv:2: 学校名称为空",
    ),
    "missing header": (
        SCHOOLS_CSV.split("\n", 1)[1],
        "schools.csv:1: 缺少表头或表头缺少列：code、name、unit_code",
    ),
    "wrong number of columns": (
        schools_with(SCHOOL_ROW, "2130102001,长安区,第一中学,130102"),
        "schools.csv:2: 有 4 列，与表头的 3 列不符",
    ),
}


@pytest.mark.parametrize(("units", "expected"), BAD_UNITS.values(), ids=BAD_UNITS.keys())
def test_a_bad_unit_is_reported_with_file_and_line(
    tmp_path: Path, units: str, expected: str
) -> None:
    [error] = refused(tmp_path, units=units)
    assert error.startswith(expected)


@pytest.mark.parametrize(("schools", "expected"), BAD_SCHOOLS.values(), ids=BAD_SCHOOLS.keys())
def test_a_bad_school_is_reported_with_file_and_line(
    tmp_path: Path, schools: str, expected: str
) -> None:
    [error] = refused(tmp_path, schools=schools)
    assert error.startswith(expected)


def test_no_root(tmp_path: Path) -> None:
    units = units_with("national,,", "national,130000,")
    assert refused(tmp_path, units) == [
        "units.csv:1: 没有根单位（上级单位代码为空的单位），必须有且只有一个",
        "units.csv:2: 国家级单位只能是根单位，不能有上级",
        "units.csv:2: 上级关系成环：000000 → 130000 → 000000",
        "units.csv:3: 上级关系成环：000000 → 130000 → 000000",
    ]


def test_a_cycle_is_reported_on_every_member(tmp_path: Path) -> None:
    units = (
        UNITS_CSV
        + "410000,河南省教育厅,provincial,410100,,\n"
        + "410100,郑州市教育局,prefectural,410000,,\n"
        + "410102,中原区教育局,county,410100,,\n"
    )
    # A cycle always breaks the level order too (levels only go down).
    assert refused(tmp_path, units) == [
        "units.csv:11: 省级单位不能隶属于地市级单位 410100",
        "units.csv:11: 上级关系成环：410000 → 410100 → 410000",
        "units.csv:12: 上级关系成环：410000 → 410100 → 410000",
    ]


def test_a_unit_that_is_its_own_parent_is_a_cycle(tmp_path: Path) -> None:
    errors = refused(tmp_path, UNITS_CSV + "410000,河南省教育厅,provincial,410000,,\n")
    assert errors == [
        "units.csv:11: 省级单位不能隶属于省级单位 410000",
        "units.csv:11: 上级关系成环：410000 → 410000",
    ]


def test_every_problem_of_both_files_is_reported_at_once(tmp_path: Path) -> None:
    units = (
        UNITS_CSV.replace("130104,桥西区教育局,county,130100", "130104,,county,130900")
        + "650000,新疆维吾尔自治区教育厅,provincial,,,\n"
    )
    schools = (
        SCHOOLS_CSV.replace("2130100001,石家庄市第一中学,130100", "2130100001,石家庄市第一中学,")
        + "213,某校,130102\n"
        + "2130102001,长安区第一中学,130102\n"
        + "2130199001,无主学校,130199\n"
    )
    assert refused(tmp_path, units, schools) == [
        "units.csv:6: 单位名称为空",
        "units.csv:6: 上级单位 130900 不存在",
        "units.csv:11: 多余的根单位 650000：上级单位代码为空，但根单位已是第2行的 000000",
        "schools.csv:3: 主管单位代码为空",
        "schools.csv:7: 学校标识码“213”应为 10 位数字",
        "schools.csv:8: 学校标识码 2130102001 重复（首次出现在第2行）",
        "schools.csv:9: 主管单位 130199 不存在",
    ]


def test_a_school_under_a_bad_unit_is_not_reported_twice(tmp_path: Path) -> None:
    units = UNITS_CSV.replace("130102,长安区教育局,county", "130102,长安区教育局,town")
    assert refused(tmp_path, units) == [
        "units.csv:5: 级别“town”无效，应为 national、provincial、prefectural、county"
    ]


def test_a_multi_line_record_keeps_later_line_numbers(tmp_path: Path) -> None:
    units = UNITS_CSV.replace("桥西区教育局", '"桥西区\n教育局"') + "130105,,county,130100,,\n"
    assert refused(tmp_path, units) == ["units.csv:12: 单位名称为空"]


def test_a_file_that_is_not_utf8_is_refused_with_the_line(tmp_path: Path) -> None:
    units = write(tmp_path, "units.csv", UNITS_CSV, encoding="gbk")
    schools = write(tmp_path, "schools.csv", SCHOOLS_CSV)
    with pytest.raises(OrgTreeError) as caught:
        OrgTree.load(units, schools)
    assert caught.value.errors == [
        TreeRecordError(str(units), 2, "文件不是 UTF-8 编码，请另存为 UTF-8 后再导入")
    ]


def test_unreadable_and_unsupported_files_are_refused(tmp_path: Path) -> None:
    schools = write(tmp_path, "schools.xlsx", "")
    with pytest.raises(OrgTreeError) as caught:
        OrgTree.load(tmp_path / "missing.csv", schools)
    assert [(e.line, e.message) for e in caught.value.errors] == [
        (1, "文件不存在"),
        (1, "不支持的文件类型“.xlsx”，应为 .csv 或 .json"),
    ]
    with pytest.raises(OrgTreeError, match="这是一个目录"):
        OrgTree.load(tmp_path, schools)


# --- refusals in JSON and in-memory records ---------------------------------------------------


def test_json_records_are_numbered_by_position(tmp_path: Path) -> None:
    units = _records(UNITS_CSV)
    units[2]["name"] = ""
    units.append({"code": "130102", "name": "重复", "level": "county", "parent_code": "130100"})
    schools: list[object] = [
        *_records(SCHOOLS_CSV),
        {"code": "2130102009", "name": "某校"},
        ["2130102010", "某校", "130102"],
        {"code": 2130102011, "name": "某校", "unit_code": "130102"},
    ]
    units_path = write(tmp_path, "units.json", json.dumps(units))
    schools_path = write(tmp_path, "schools.json", json.dumps(schools))
    with pytest.raises(OrgTreeError) as caught:
        OrgTree.load(units_path, schools_path)
    assert [str(e).replace(f"{tmp_path}/", "") for e in caught.value.errors] == [
        "units.json:3: 第3条记录：单位名称为空",
        "units.json:10: 第10条记录：单位代码 130102 重复（首次出现在第4条记录）",
        "schools.json:6: 第6条记录：缺少字段 unit_code",
        "schools.json:7: 第7条记录：应为对象",
        "schools.json:8: 第8条记录：字段 code 应为字符串",
    ]


def test_json_that_is_not_a_list_of_objects_is_refused(tmp_path: Path) -> None:
    units = write(tmp_path, "units.json", '{"code": "000000"}')
    schools = write(tmp_path, "schools.json", '[\n  {"code": "2130102001",\n  oops\n]')
    with pytest.raises(OrgTreeError) as caught:
        OrgTree.load(units, schools)
    assert [(e.line, e.message) for e in caught.value.errors] == [
        (1, "JSON 文件应为对象的列表"),
        (3, "JSON 格式错误（第3列）"),
    ]


def test_from_records_reports_its_sources() -> None:
    units = _records(UNITS_CSV)
    units[0]["parent_code"] = "999999"
    with pytest.raises(OrgTreeError) as caught:
        OrgTree.from_records(units, [], units_source="demo")
    assert [str(e) for e in caught.value.errors] == [
        "demo:1: 没有根单位（上级单位代码为空的单位），必须有且只有一个",
        "demo:1: 第1条记录：上级单位 999999 不存在",
    ]
