"""`xueji org import` on both stores: a good tree is loaded whole, a bad one changes nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from core.settings import get_settings
from store.db import make_engine, session_scope
from store.models import School, Unit
from store.org import counts
from tests.support.demo import DEMO_SCHOOLS_CSV, DEMO_UNITS_CSV
from xueji.cli import app

runner = CliRunner()

UNITS = """code,name,level,parent_code,phone,email
000000,教育部,national,,010-66096114,
130000,河北省教育厅,provincial,000000,0311-66005831,
130100,石家庄市教育局,prefectural,130000,,
130102,长安区教育局,county,130100,,
"""
SCHOOLS = """code,name,unit_code
1113010201,长安区第一小学,130102
1113010001,石家庄市第一中学,130100
"""


@pytest.fixture
def store(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("XUEJI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", store_url)
    get_settings.cache_clear()
    yield store_url
    get_settings.cache_clear()


def _files(tmp_path: Path, units: str, schools: str) -> tuple[str, str]:
    (tmp_path / "units.csv").write_text(units, encoding="utf-8")
    (tmp_path / "schools.csv").write_text(schools, encoding="utf-8")
    return str(tmp_path / "units.csv"), str(tmp_path / "schools.csv")


def _stored(store_url: str) -> tuple[int, int]:
    engine = make_engine(store_url)
    try:
        with session_scope(engine) as session:
            return counts(session=session)
    finally:
        engine.dispose()


def test_demo_tree_is_imported_whole(store: str) -> None:
    result = runner.invoke(app, ["org", "import", str(DEMO_UNITS_CSV), str(DEMO_SCHOOLS_CSV)])
    assert result.exit_code == 0, result.output
    assert "已导入 342 个单位、1363 所学校" in result.output
    assert _stored(store) == (342, 1363)


def test_a_second_import_replaces_the_first(store: str, tmp_path: Path) -> None:
    demo = [str(DEMO_UNITS_CSV), str(DEMO_SCHOOLS_CSV)]
    assert runner.invoke(app, ["org", "import", *demo]).exit_code == 0
    result = runner.invoke(app, ["org", "import", *_files(tmp_path, UNITS, SCHOOLS)])
    assert result.exit_code == 0, result.output
    engine = make_engine(store)
    try:
        with session_scope(engine) as session:
            schools = {s.code: s.unit_code for s in session.exec(select(School))}
            district = session.get(Unit, "130102")
            district_parent = district.parent_code if district else None
    finally:
        engine.dispose()
    assert schools == {"1113010201": "130102", "1113010001": "130100"}
    assert district_parent == "130100"


def test_bad_file_lists_every_error_and_changes_nothing(store: str, tmp_path: Path) -> None:
    good = _files(tmp_path, UNITS, SCHOOLS)
    assert runner.invoke(app, ["org", "import", *good]).exit_code == 0

    bad_units = UNITS + "130200,唐山市教育局,prefectural,139900,,\n13010,短代码,county,130100,,\n"
    bad_schools = SCHOOLS + "1113010299,不存在单位的学校,130199\n"
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    result = runner.invoke(app, ["org", "import", *_files(bad_dir, bad_units, bad_schools)])

    assert result.exit_code == 1
    assert "数据库未作任何改动" in result.output
    assert "units.csv:6" in result.output and "139900" in result.output
    assert "units.csv:7" in result.output and "13010" in result.output
    assert "schools.csv:4" in result.output and "130199" in result.output
    assert _stored(store) == (4, 2)
