"""Reading the organisation tree's two input files into rows for the checks.

Input (UTF-8, a BOM is accepted):

- units, CSV with the header ``code,name,level,parent_code,phone,email`` (``phone`` and
  ``email`` may be left out) or a JSON list of objects with those keys. ``code`` is the
  6-digit division code, ``level`` one of ``national``, ``provincial``, ``prefectural``,
  ``county``; exactly one unit, the root, has an empty ``parent_code``.
- schools, CSV with the header ``code,name,unit_code`` or a JSON list of such objects.
  ``code`` is the 10-digit school identification code, ``unit_code`` the supervising unit
  (直接教育行政主管部门): a provincial, prefectural or county unit.

A file that cannot be read, or a record that cannot be, is reported to the
:class:`~domain.orgtree_checks.TreeBuilder` like any other problem; the only I/O of the
tree is :func:`read_files`.
"""

from __future__ import annotations

import csv
import gc
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from domain.orgtree import OrgTree
from domain.orgtree_checks import TreeBuilder

UNIT_COLUMNS = ("code", "name", "level", "parent_code", "phone", "email")
SCHOOL_COLUMNS = ("code", "name", "unit_code")
_REQUIRED_UNIT_COLUMNS = UNIT_COLUMNS[:4]


def read_files(units_path: Path | str, schools_path: Path | str) -> OrgTree:
    """Read and validate both files (.csv or .json by suffix); raise OrgTreeError."""
    builder = TreeBuilder()
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


def read_records(
    units: Iterable[Mapping[str, str]],
    schools: Iterable[Mapping[str, str]],
    *,
    units_source: str = "units",
    schools_source: str = "schools",
) -> OrgTree:
    """Validate in-memory records (the "line" of a record is its 1-based position)."""
    builder = TreeBuilder()
    with _no_gc():
        unit_rows = _record_rows(units, units_source, UNIT_COLUMNS, builder)
        builder.add_units(unit_rows, units_source)
        school_rows = _record_rows(schools, schools_source, SCHOOL_COLUMNS, builder)
        builder.add_schools(school_rows, schools_source)
        return builder.finish(units_source)


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


def read_uploads(
    units_name: str, units_data: bytes, schools_name: str, schools_data: bytes
) -> OrgTree:
    """Validate both files as uploaded (their names say .csv or .json); raise OrgTreeError.
    The same reading as :func:`read_files`, from bytes instead of paths."""
    builder = TreeBuilder()
    with _no_gc():
        unit_rows = _parse(units_data, Path(units_name).suffix, units_name, UNIT_COLUMNS, builder)
        if unit_rows is None:
            builder.units_unusable = True
        else:
            builder.add_units(unit_rows, units_name)
        school_rows = _parse(
            schools_data, Path(schools_name).suffix, schools_name, SCHOOL_COLUMNS, builder
        )
        if school_rows is not None:
            builder.add_schools(school_rows, schools_name)
        return builder.finish(units_name)


def _read_file(
    path: Path, file: str, columns: tuple[str, ...], builder: TreeBuilder
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
    return _parse(data, path.suffix, file, columns, builder)


def _parse(
    data: bytes, suffix: str, file: str, columns: tuple[str, ...], builder: TreeBuilder
) -> Iterator[Any] | None:
    """Rows of one file's content, or None (the reason added to the builder's errors)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        builder.file_error(file, "文件不是 UTF-8 编码，请另存为 UTF-8 后再导入", line)
        return None
    if suffix.lower() == ".csv":
        return _csv_rows(text, file, columns, builder)
    if suffix.lower() == ".json":
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            builder.file_error(file, f"JSON 格式错误（第{exc.colno}列）", exc.lineno)
            return None
        if not isinstance(records, list):
            builder.file_error(file, "JSON 文件应为对象的列表")
            return None
        return _record_rows(records, file, columns, builder)
    builder.file_error(file, f"不支持的文件类型“{suffix}”，应为 .csv 或 .json")
    return None


def _csv_rows(
    text: str, file: str, columns: tuple[str, ...], builder: TreeBuilder
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
    reader: Any, file: str, width: int, pick: itemgetter[Any], builder: TreeBuilder
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
    records: Iterable[Any], file: str, columns: tuple[str, ...], builder: TreeBuilder
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
