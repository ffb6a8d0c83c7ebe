"""The organisation tree: education bureaus by level, and the schools they supervise (DESIGN §2).

Pure domain code. A tree is only ever built from input that passed every check: from the two
files by :meth:`OrgTree.load` (their formats in :mod:`domain.orgtree_files`) or from records
in memory by :meth:`OrgTree.from_records`. Input with any problem is refused as a whole
(the rules in :mod:`domain.orgtree_checks`): :class:`OrgTreeError` lists every bad record with
its file and line (for JSON and in-memory records: its 1-based position in the list).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
from pathlib import Path


class Level(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    PREFECTURAL = "prefectural"
    COUNTY = "county"
    SCHOOL = "school"


SCHOOL_CODE_LENGTH = 10  # 学校标识码; a bureau's code has 6 digits (GB/T 2260)


def is_school_code(code: str) -> bool:
    """Whether `code` has the shape of a school identification code (学校标识码), not of a
    bureau's code; whether such a school exists is the tree's to say."""
    return len(code) == SCHOOL_CODE_LENGTH and code.isascii() and code.isdigit()


LEVEL_LABELS: dict[Level, str] = {
    Level.NATIONAL: "国家级",
    Level.PROVINCIAL: "省级",
    Level.PREFECTURAL: "地市级",
    Level.COUNTY: "县级",
    Level.SCHOOL: "学校",
}


@dataclass(frozen=True, slots=True)
class OrgUnit:
    """A bureau, or a school: level SCHOOL, ``parent_code`` its supervising unit."""

    code: str
    name: str
    level: Level
    parent_code: str | None
    phone: str = ""
    email: str = ""

    @property
    def is_school(self) -> bool:
        return self.level is Level.SCHOOL


@dataclass(frozen=True)
class TreeRecordError:
    """One problem in an input file; ``line`` is the file line, or the record's position."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class OrgTreeError(ValueError):
    """The input was refused as a whole; ``errors`` lists every problem, in file order."""

    def __init__(self, errors: list[TreeRecordError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


class UnknownCodeError(KeyError, ValueError):
    """A code that is not in the tree, or not of the kind asked for; ``str()`` is for users."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message or f"单位或学校代码 {code} 不存在"

    def __str__(self) -> str:
        return self.message


class OrgTree:
    """An immutable, validated organisation tree. Build it with :meth:`load` or
    :meth:`from_records`."""

    __slots__ = ("_children", "_paths", "_root", "_schools", "_units")

    def __init__(
        self, units: dict[str, OrgUnit], schools: dict[str, OrgUnit], root: OrgUnit
    ) -> None:
        """Only for checked records: :class:`~domain.orgtree_checks.TreeBuilder` calls it."""
        self._units = units
        self._schools = schools
        self._paths = _paths(units)  # bureaus only; a school's path is its unit's plus itself
        self._root = root
        self._children: dict[str, list[OrgUnit]] | None = None  # built on first use

    # --- building (orgtree_files builds on this module, so it is imported on first use) --

    @classmethod
    def load(cls, units_path: Path | str, schools_path: Path | str) -> OrgTree:
        """Read and validate both files (.csv or .json by suffix); raise OrgTreeError."""
        from domain.orgtree_files import read_files

        return read_files(units_path, schools_path)

    @classmethod
    def from_records(
        cls,
        units: Iterable[Mapping[str, str]],
        schools: Iterable[Mapping[str, str]],
        *,
        units_source: str = "units",
        schools_source: str = "schools",
    ) -> OrgTree:
        """Validate in-memory records (the "line" of a record is its 1-based position)."""
        from domain.orgtree_files import read_records

        return read_records(
            units, schools, units_source=units_source, schools_source=schools_source
        )

    # --- look-ups -----------------------------------------------------------------------

    @property
    def root(self) -> OrgUnit:
        return self._root

    def get(self, code: str) -> OrgUnit:
        """The bureau or school with this code."""
        node = self._units.get(code) or self._schools.get(code)
        if node is None:
            raise UnknownCodeError(code)
        return node

    def unit(self, code: str) -> OrgUnit:
        """The bureau with this code; a school code is an error too."""
        unit = self._units.get(code)
        if unit is None:
            if code in self._schools:
                raise UnknownCodeError(code, f"{code} 是学校标识码，不是教育行政部门代码")
            raise UnknownCodeError(code, f"教育行政部门代码 {code} 不存在")
        return unit

    def school(self, code: str) -> OrgUnit:
        """The school with this code; a bureau code is an error too."""
        school = self._schools.get(code)
        if school is None:
            if code in self._units:
                raise UnknownCodeError(code, f"{code} 是教育行政部门代码，不是学校标识码")
            raise UnknownCodeError(code, f"学校标识码 {code} 不存在")
        return school

    def supervising_unit(self, school_code: str) -> OrgUnit:
        """The school's supervising unit (直接教育行政主管部门)."""
        return self._units[self.school(school_code).parent_code]  # type: ignore[index]

    def supervising_path(self, school_code: str) -> tuple[str, ...]:
        """The path of the school's supervising unit: two look-ups, no new tuple."""
        return self._paths[self.school(school_code).parent_code]  # type: ignore[index]

    def parent(self, code: str) -> OrgUnit | None:
        """The unit directly above a bureau or school; None for the root."""
        parent_code = self.get(code).parent_code
        return None if parent_code is None else self._units[parent_code]

    def children(self, code: str) -> list[OrgUnit]:
        """Direct sub-units, then directly supervised schools, in input order."""
        self.get(code)
        if self._children is None:
            index: dict[str, list[OrgUnit]] = {}
            for node in chain(self._units.values(), self._schools.values()):
                if node.parent_code is not None:
                    index.setdefault(node.parent_code, []).append(node)
            self._children = index
        return list(self._children.get(code, ()))

    def path(self, code: str) -> tuple[str, ...]:
        """Codes from the root down to ``code``, both included."""
        path = self._paths.get(code)
        if path is not None:
            return path
        school = self._schools.get(code)
        if school is None:
            raise UnknownCodeError(code)
        return (*self._paths[school.parent_code], code)  # type: ignore[index]

    def province_of(self, code: str) -> OrgUnit | None:
        """The provincial-level unit at or above ``code``; None above provincial level."""
        for ancestor in self.path(code):
            unit = self._units.get(ancestor)
            if unit is not None and unit.level is Level.PROVINCIAL:
                return unit
        return None

    def units(self) -> Iterator[OrgUnit]:
        return iter(self._units.values())

    def schools(self) -> Iterator[OrgUnit]:
        return iter(self._schools.values())

    def __contains__(self, code: object) -> bool:
        return code in self._units or code in self._schools

    def __len__(self) -> int:
        return len(self._units) + len(self._schools)

    def __repr__(self) -> str:
        counts = f"units={len(self._units)} schools={len(self._schools)}"
        return f"<OrgTree root={self._root.code} {counts}>"


def _paths(units: dict[str, OrgUnit]) -> dict[str, tuple[str, ...]]:
    """Each unit's path from the root, computed once per unit without recursion."""
    paths: dict[str, tuple[str, ...]] = {}
    for start in units:
        if start in paths:
            continue
        pending = []
        code: str | None = start
        while code is not None and code not in paths:
            pending.append(code)
            code = units[code].parent_code
        path = () if code is None else paths[code]
        for code in reversed(pending):
            path = (*path, code)
            paths[code] = path
    return paths
