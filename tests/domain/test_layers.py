"""Imports point down only (DESIGN §6): domain ← core ← workflows ← activities/store ←
api/xueji. A module that imports a layer above its own fails here, naming the line."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What each layer may import of the project's packages (itself included).
MAY_IMPORT = {
    "domain": {"domain"},
    "core": {"domain", "core"},
    "workflows": {"domain", "core", "workflows"},
    "store": {"domain", "core", "store"},
    "activities": {"domain", "core", "workflows", "store", "activities"},
    "api": {"domain", "core", "workflows", "store", "activities", "api"},
    "xueji": {"domain", "core", "workflows", "store", "activities", "api", "xueji"},
}
PACKAGES = set(MAY_IMPORT)


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every import of a project package in the module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name.split(".")[0]) for name in names]
    return [(line, package) for line, package in found if package in PACKAGES | {"worker"}]


def upward_imports(layer: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {package}"
        for path in sorted((ROOT / layer).rglob("*.py"))
        for line, package in imported_packages(path)
        if package not in MAY_IMPORT[layer]
    ]


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_no_layer_imports_one_above_it(layer: str) -> None:
    assert upward_imports(layer) == []


def test_the_rule_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("import os\nfrom store.db import engine_for\nimport api.main as m\n")
    assert imported_packages(module) == [(2, "store"), (3, "api")]


def test_every_package_of_the_project_has_a_layer() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - {"tests"} == PACKAGES
