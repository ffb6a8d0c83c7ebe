"""The synthetic national tree used by the benchmarks is a valid tree of the asked size."""

from collections import Counter
from pathlib import Path

from bench.synthetic import generate_complaints, write_national_tree
from domain.orgtree import Level, OrgTree
from domain.routing import responsible_unit


def test_tree_loads_with_the_asked_size_and_shape(tmp_path: Path) -> None:
    units_csv, schools_csv = write_national_tree(tmp_path, counties=400, schools=5_000, seed=7)
    tree = OrgTree.load(units_csv, schools_csv)

    levels = Counter(unit.level for unit in tree.units())
    assert levels[Level.NATIONAL] == 1
    assert levels[Level.PROVINCIAL] == 32
    assert levels[Level.COUNTY] == 400
    assert tree.unit("660000").level is Level.PROVINCIAL
    assert sum(1 for _ in tree.schools()) == 5_000
    supervisors = Counter(tree.parent(school.code).level for school in tree.schools())
    assert supervisors[Level.PROVINCIAL] > 0 and supervisors[Level.PREFECTURAL] > 0
    assert all(unit.phone.startswith("0000-") for unit in tree.units() if unit.phone)


def test_same_seed_same_files_and_every_complaint_routes(tmp_path: Path) -> None:
    first = write_national_tree(tmp_path / "a", counties=50, schools=800, seed=3)
    second = write_national_tree(tmp_path / "b", counties=50, schools=800, seed=3)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]

    tree = OrgTree.load(*first)
    complaints = generate_complaints(*first, 500, seed=3)
    assert len(complaints) == 500
    for schools in complaints:
        unit = responsible_unit(tree, schools)
        assert all(unit.code in tree.path(code) for code in schools)
