"""The rules for an organisation tree's records, all checked before a tree is built.

Every problem of both inputs is collected, each with its file and line (or position), so
that one import attempt reports them all; :class:`~domain.orgtree.OrgTreeError` refuses the
input as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.orgtree import (
    LEVEL_LABELS,
    SCHOOL_CODE_LENGTH,
    Level,
    OrgTree,
    OrgTreeError,
    OrgUnit,
    TreeRecordError,
)

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
UNIT_CODE_LENGTH = 6

UnitRow = tuple[int, str, str, str, str, str, str]  # line, code, name, level, parent, phone, email
SchoolRow = tuple[int, str, str, str]  # line, code, name, unit_code


def _is_code(code: str, length: int) -> bool:
    return len(code) == length and code.isascii() and code.isdigit()


class TreeBuilder:
    """Collects every problem of both inputs in one pass each, then builds the tree."""

    def __init__(self) -> None:
        self.errors: list[TreeRecordError] = []
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
        self.errors.append(TreeRecordError(file, line, message))

    def file_error(self, file: str, message: str, line: int = 1) -> None:
        """A problem of the whole file, not of one record."""
        self.errors.append(TreeRecordError(file, line, message))

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
        return OrgTree(units, self.schools, units[self.roots[0][0]])

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

    def _sorted_errors(self, units_file: str) -> list[TreeRecordError]:
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
