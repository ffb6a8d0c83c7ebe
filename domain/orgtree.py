"""The organisation tree: education bureaus by level, and the schools they supervise (DESIGN §2).

Pure domain code: the only I/O is reading the two input files in :meth:`OrgTree.load`.

Input (UTF-8, a BOM is accepted):

- units, CSV with the header ``code,name,level,parent_code,phone,email`` (``phone`` and
  ``email`` may be left out) or a JSON list of objects with those keys. ``code`` is the
  6-digit division code, ``level`` one of ``national``, ``provincial``, ``prefectural``,
  ``county``; exactly one unit, the root, has an empty ``parent_code``.
- schools, CSV with the header ``code,name,unit_code`` or a JSON list of such objects.
  ``code`` is the 10-digit school identification code, ``unit_code`` the supervising unit
  (直接教育行政主管部门): a provincial, prefectural or county unit.

A file with any problem is refused as a whole: :class:`OrgTreeError` lists every bad record
with its file and line (for JSON and in-memory records: its 1-based position in the list).
"""

from __future__ import annotations

import csv
import gc
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any


class Level(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    PREFECTURAL = "prefectural"
    COUNTY = "county"
    SCHOOL = "school"


LEVEL_LABELS: dict[Level, str] = {
    Level.NATIONAL: "国家级",
    Level.PROVINCIAL: "省级",
    Level.PREFECTURAL: "地市级",
    Level.COUNTY: "县级",
    Level.SCHOOL: "学校",
}

# The levels a bureau may sit under. Municipalities' districts and 省直辖县 are counties
# directly under a province.
_PARENT_LEVELS: dict[Level, frozenset[Level]] = {
    Level.NATIONAL: frozenset(),
    Level.PROVINCIAL: frozenset({Level.NATIONAL}),
    Level.PREFECTURAL: frozenset({Level.PROVINCIAL}),
    Level.COUNTY: frozenset({Level.PREFECTURAL, Level.PROVINCIAL}),
}
_UNIT_LEVELS = {level.value: level for level in _PARENT_LEVELS}
_LEVEL_CHOICES = "、".join(_UNIT_LEVELS)
_SCHOOL_UNIT_LEVELS = frozenset({Level.PROVINCIAL, Level.PREFECTURAL, Level.COUNTY})

UNIT_COLUMNS = ("code", "name", "level", "parent_code", "phone", "email")
SCHOOL_COLUMNS = ("code", "name", "unit_code")
_REQUIRED_UNIT_COLUMNS = UNIT_COLUMNS[:4]
UNIT_CODE_LENGTH = 6
SCHOOL_CODE_LENGTH = 10


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
class RecordError:
    """One problem in an input file; ``line`` is the file line, or the record's position."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class OrgTreeError(ValueError):
    """The input was refused as a whole; ``errors`` lists every problem, in file order."""

    def __init__(self, errors: list[RecordError]) -> None:
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


def _is_code(code: str, length: int) -> bool:
    return len(code) == length and code.isascii() and code.isdigit()


class OrgTree:
    """An immutable, validated organisation tree. Build it with :meth:`load` or
    :meth:`from_records`."""

    __slots__ = ("_children", "_paths", "_root", "_schools", "_units")

    def __init__(
        self,
        units: dict[str, OrgUnit],
        schools: dict[str, OrgUnit],
        paths: dict[str, tuple[str, ...]],
        root: OrgUnit,
    ) -> None:
        self._units = units
        self._schools = schools
        self._paths = paths  # bureaus only; a school's path is its unit's plus itself
        self._root = root
        self._children: dict[str, list[OrgUnit]] | None = None  # built on first use

    # --- building ---------------------------------------------------------------------

    @classmethod
    def load(cls, units_path: Path | str, schools_path: Path | str) -> OrgTree:
        """Read and validate both files (.csv or .json by suffix); raise OrgTreeError."""
        builder = _Builder()
        units_file, schools_file = str(units_path), str(schools_path)
        with _no_gc():
            unit_rows = _read_file(Path(units_path), units_file, UNIT_COLUMNS, builder)
            if unit_rows is None:
                builder.units_unusable = True
            else:
                builder.add_units(unit_rows, units_file)
            school_rows = _read_file(Path(schools_path), schools_file, SCHOOL_COLUMNS, builder)
            if school_rows is not None:
                builder.add_schools(school_rows, schools_file)
            return builder.finish(units_file)

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
        builder = _Builder()
        with _no_gc():
            unit_rows = _record_rows(units, units_source, UNIT_COLUMNS, builder)
            builder.add_units(unit_rows, units_source)
            school_rows = _record_rows(schools, schools_source, SCHOOL_COLUMNS, builder)
            builder.add_schools(school_rows, schools_source)
            return builder.finish(units_source)

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


# --- reading ---------------------------------------------------------------------------

UnitRow = tuple[int, str, str, str, str, str, str]  # line, code, name, level, parent, phone, email
SchoolRow = tuple[int, str, str, str]  # line, code, name, unit_code


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: it would rescan the growing tree again and again
    while half a million acyclic records are built (about a fifth of the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_file(
    path: Path, file: str, columns: tuple[str, ...], builder: _Builder
) -> Iterator[Any] | None:
    """Rows of one file, or None (the reason added to the builder's errors) if unreadable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        builder.file_error(file, "文件不存在")
        return None
    except IsADirectoryError:
        builder.file_error(file, "这是一个目录，不是文件")
        return None
    except OSError:
        builder.file_error(file, "无法读取文件（请检查读取权限）")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        builder.file_error(file, "文件不是 UTF-8 编码，请另存为 UTF-8 后再导入", line)
        return None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(text, file, columns, builder)
    if suffix == ".json":
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            builder.file_error(file, f"JSON 格式错误（第{exc.colno}列）", exc.lineno)
            return None
        if not isinstance(records, list):
            builder.file_error(file, "JSON 文件应为对象的列表")
            return None
        return _record_rows(records, file, columns, builder)
    builder.file_error(file, f"不支持的文件类型“{path.suffix}”，应为 .csv 或 .json")
    return None


def _csv_rows(
    text: str, file: str, columns: tuple[str, ...], builder: _Builder
) -> Iterator[Any] | None:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    required = _REQUIRED_UNIT_COLUMNS if columns == UNIT_COLUMNS else columns
    names = [name.strip().lower() for name in header or ()]
    missing = [column for column in required if column not in names]
    if missing:
        expected = f"（第一行应为 {','.join(columns)}）"
        builder.file_error(file, f"缺少表头或表头缺少列：{'、'.join(missing)}{expected}")
        return None
    width = len(names)
    # Optional columns that are absent read the empty string appended after the last column.
    pick = itemgetter(*(names.index(c) if c in names else width for c in columns))
    return _csv_records(reader, file, width, pick, builder)


def _csv_records(
    reader: Any, file: str, width: int, pick: itemgetter[Any], builder: _Builder
) -> Iterator[Any]:
    end = reader.line_num
    for row in reader:
        line, end = end + 1, reader.line_num
        if len(row) != width or not row[0]:
            if not any(field.strip() for field in row):
                continue  # blank lines, and the empty rows spreadsheets leave at the end
            if len(row) != width:
                builder.malformed(file, line, row[0], f"有 {len(row)} 列，与表头的 {width} 列不符")
                continue
        row.append("")
        yield (line, *pick(row))


def _record_rows(
    records: Iterable[Any], file: str, columns: tuple[str, ...], builder: _Builder
) -> Iterator[Any]:
    """Rows of JSON or in-memory records; a record's "line" is its position in the list."""
    builder.numbered.add(file)
    required = _REQUIRED_UNIT_COLUMNS if columns == UNIT_COLUMNS else columns
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            builder.error(file, number, "应为对象")
            continue
        missing = [column for column in required if column not in record]
        code = record.get("code")
        code = code if isinstance(code, str) else ""
        if missing:
            builder.malformed(file, number, code, f"缺少字段 {'、'.join(missing)}")
            continue
        values = [record.get(column) for column in columns]
        wrong = [c for c, v in zip(columns, values, strict=True) if not isinstance(v, str | None)]
        if wrong:
            builder.malformed(file, number, code, f"字段 {'、'.join(wrong)} 应为字符串")
            continue
        yield (number, *(value or "" for value in values))


# --- validating ------------------------------------------------------------------------


class _Builder:
    """Collects every problem of both inputs in one pass each, then builds the tree."""

    def __init__(self) -> None:
        self.errors: list[RecordError] = []
        self.units_unusable = False
        self.numbered: set[str] = set()
        self.unit_lines: dict[str, int] = {}  # every unit code seen, even on a bad row
        self.unreadable_codes: set[str] = set()
        self.parents: dict[str, str] = {}  # code -> parent code, first occurrence
        self.roots: list[tuple[str, int]] = []
        self.valid_units: dict[str, OrgUnit] = {}
        self.schools: dict[str, OrgUnit] = {}

    def error(self, file: str, line: int, message: str) -> None:
        if file in self.numbered:
            message = f"{self.where(file, line)}：{message}"
        self.errors.append(RecordError(file, line, message))

    def file_error(self, file: str, message: str, line: int = 1) -> None:
        """A problem of the whole file, not of one record."""
        self.errors.append(RecordError(file, line, message))

    def malformed(self, file: str, line: int, code: str, message: str) -> None:
        """A record that cannot be read; its code still counts as known, so that records
        naming it are not reported too."""
        self.unreadable_codes.add(code.strip())
        self.error(file, line, message)

    def where(self, file: str, line: int) -> str:
        return f"第{line}条记录" if file in self.numbered else f"第{line}行"

    def add_units(self, rows: Iterable[UnitRow], file: str) -> None:
        for line, raw_code, raw_name, raw_level, raw_parent, phone, email in rows:
            code, name, parent = raw_code.strip(), raw_name.strip(), raw_parent.strip()
            level = _UNIT_LEVELS.get(raw_level.strip().lower())
            problems = []
            if not _is_code(code, UNIT_CODE_LENGTH):
                problems.append(f"单位代码“{code}”应为 6 位数字")
            elif code in self.unit_lines:
                first = self.where(file, self.unit_lines[code])
                problems.append(f"单位代码 {code} 重复（首次出现在{first}）")
            else:
                self.unit_lines[code] = line
            if not name:
                problems.append("单位名称为空")
            if level is None:
                problems.append(f"级别“{raw_level.strip()}”无效，应为 {_LEVEL_CHOICES}")
            if not parent:
                if self.unit_lines.get(code) == line or not _is_code(code, UNIT_CODE_LENGTH):
                    self.roots.append((code, line))
            elif not _is_code(parent, UNIT_CODE_LENGTH):
                problems.append(f"上级单位代码“{parent}”应为 6 位数字")
            elif self.unit_lines.get(code) == line:
                self.parents[code] = parent
            for problem in problems:
                self.error(file, line, problem)
            if not problems and level is not None:
                self.valid_units[code] = OrgUnit(
                    code, name, level, parent or None, phone.strip(), email.strip()
                )

    def add_schools(self, rows: Iterable[SchoolRow], file: str) -> None:
        schools, lines = self.schools, {}
        # Units a school may sit under; schools under a bad unit are not reported twice.
        allowed = {c for c, u in self.valid_units.items() if u.level in _SCHOOL_UNIT_LEVELS}
        make, school_level = OrgUnit, Level.SCHOOL
        for line, code, raw_name, unit_code in rows:
            name = raw_name.strip()
            if (
                len(code) == SCHOOL_CODE_LENGTH
                and code.isdigit()
                and code.isascii()
                and name
                and unit_code in allowed
                and code not in lines
            ):
                lines[code] = line
                schools[code] = make(code, name, school_level, unit_code)
                continue
            self._check_school(file, line, code.strip(), name, unit_code.strip(), lines, allowed)

    def _check_school(
        self,
        file: str,
        line: int,
        code: str,
        name: str,
        unit_code: str,
        lines: dict[str, int],
        allowed: set[str],
    ) -> None:
        problems = []
        if not _is_code(code, SCHOOL_CODE_LENGTH):
            problems.append(f"学校标识码“{code}”应为 10 位数字")
        elif code in lines:
            first = self.where(file, lines[code])
            problems.append(f"学校标识码 {code} 重复（首次出现在{first}）")
        else:
            lines[code] = line
        if not name:
            problems.append("学校名称为空")
        unit = self.valid_units.get(unit_code)
        if not unit_code:
            problems.append("主管单位代码为空")
        elif unit is not None and unit_code not in allowed:
            problems.append(f"学校不能直属于{LEVEL_LABELS[unit.level]}单位 {unit_code}")
        elif self._unknown_unit(unit_code):
            problems.append(f"主管单位 {unit_code} 不存在")
        if not problems:
            self.schools[code] = OrgUnit(code, name, Level.SCHOOL, unit_code)
        for problem in problems:
            self.error(file, line, problem)

    def _unknown_unit(self, code: str) -> bool:
        """True if no unit of this code can exist, even among the records refused already."""
        return not (
            code in self.unit_lines
            or code in self.unreadable_codes
            or self.units_unusable
            or not self.unit_lines
        )

    def finish(self, units_file: str) -> OrgTree:
        if not self.units_unusable:
            self._check_structure(units_file)
        if self.errors:
            raise OrgTreeError(self._sorted_errors(units_file))
        units = self.valid_units
        paths = _paths(units)
        return OrgTree(units, self.schools, paths, units[self.roots[0][0]])

    def _check_structure(self, file: str) -> None:
        """Roots, parents, levels and cycles, once every unit is known."""
        if not self.unit_lines:
            self.file_error(file, "没有任何单位记录")
            return
        if not self.roots:
            self.file_error(file, "没有根单位（上级单位代码为空的单位），必须有且只有一个")
        for code, line in self.roots[1:]:
            first_root, first_line = self.roots[0]
            root = f"{self.where(file, first_line)}的 {first_root}"
            self.error(file, line, f"多余的根单位 {code}：上级单位代码为空，但根单位已是{root}")
        units = self.valid_units
        for code, parent in self.parents.items():
            line = self.unit_lines[code]
            if parent not in self.unit_lines:
                if self._unknown_unit(parent):
                    self.error(file, line, f"上级单位 {parent} 不存在")
                continue
            child, above = units.get(code), units.get(parent)
            if child is not None and above is not None:
                if not _PARENT_LEVELS[child.level]:
                    self.error(
                        file, line, f"{LEVEL_LABELS[child.level]}单位只能是根单位，不能有上级"
                    )
                elif above.level not in _PARENT_LEVELS[child.level]:
                    self.error(
                        file,
                        line,
                        f"{LEVEL_LABELS[child.level]}单位不能隶属于"
                        f"{LEVEL_LABELS[above.level]}单位 {parent}",
                    )
        for cycle in _cycles(self.parents):
            text = " → ".join((*cycle, cycle[0]))
            for code in cycle:
                self.error(file, self.unit_lines[code], f"上级关系成环：{text}")

    def _sorted_errors(self, units_file: str) -> list[RecordError]:
        order = {units_file: 0}
        return sorted(self.errors, key=lambda e: (order.get(e.file, 1), e.line))


def _cycles(parents: dict[str, str]) -> list[list[str]]:
    """Every cycle of the parent relation, each once, in O(n)."""
    state: dict[str, int] = {}  # 1: on the walk in progress, 2: finished
    cycles = []
    for start in parents:
        walk: list[str] = []
        code: str | None = start
        while code is not None and code not in state:
            state[code] = 1
            walk.append(code)
            code = parents.get(code)
        if code is not None and state[code] == 1:
            cycles.append(walk[walk.index(code) :])
        for visited in walk:
            state[visited] = 2
    return cycles


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
