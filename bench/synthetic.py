"""A synthetic organisation tree of national size, and complaints over it, for benchmarks.

The tree has the shape of the real one (DESIGN §2): the Ministry, 32 provincial units (the 31
GB/T 2260 provincial codes and the Corps, 660000), about 330 prefectures, any number of
counties (a few directly under their province, like 省直辖县级 ones) and schools, most under
counties, some under prefectures (市直属) and provinces (省直属). Names are placeholders,
phones and e-mails are visibly fake. Everything is deterministic for a given seed.

Codes: prefecture ``PPkk00`` (kk 01..89), county ``PPkkcc`` (cc 01..99) or ``PP90cc`` when
directly under the province, school = its unit's code + a 4-digit serial.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

PROVINCE_CODES = (
    *(f"{prefix}0000" for prefix in (11, 12, 13, 14, 15, 21, 22, 23)),
    *(f"{prefix}0000" for prefix in range(31, 38)),
    *(f"{prefix}0000" for prefix in range(41, 47)),
    *(f"{prefix}0000" for prefix in range(50, 55)),
    *(f"{prefix}0000" for prefix in range(61, 66)),
    "660000",
)
PREFECTURES = 330
MAX_COUNTIES_PER_PARENT = 99
MAX_SCHOOLS_PER_UNIT = 9999
DIRECT_COUNTY_EVERY = 30  # one county in 30 sits directly under its province
PREFECTURE_SCHOOL_SHARE = 0.07
PROVINCE_SCHOOL_SHARE = 0.03

UNITS_HEADER = ("code", "name", "level", "parent_code", "phone", "email")
SCHOOLS_HEADER = ("code", "name", "unit_code")

# Share of each kind of complaint, by the level at which the schools meet.
COMPLAINT_MIX = (
    ("single", 0.80),
    ("same_county", 0.05),
    ("same_prefecture", 0.05),
    ("same_province", 0.04),
    ("national", 0.03),
    ("many", 0.03),
)

Unit = tuple[str, str, str, str]  # code, name, level, parent_code


def _units(counties: int) -> list[Unit]:
    units: list[Unit] = [("000000", "中华人民共和国教育部", "national", "")]
    units += [(code, f"省级{code}教育厅", "provincial", "000000") for code in PROVINCE_CODES]
    prefectures = []
    for index in range(PREFECTURES):
        province = PROVINCE_CODES[index % len(PROVINCE_CODES)]
        code = f"{province[:2]}{index // len(PROVINCE_CODES) + 1:02d}00"
        prefectures.append((code, f"地市{code}教育局", "prefectural", province))
    units += prefectures
    direct = counties // DIRECT_COUNTY_EVERY
    parents = [PROVINCE_CODES[i % len(PROVINCE_CODES)] for i in range(direct)]
    parents += [prefectures[i % PREFECTURES][0] for i in range(counties - direct)]
    serials: Counter[str] = Counter()
    for parent in parents:
        serials[parent] += 1
        if serials[parent] > MAX_COUNTIES_PER_PARENT:
            raise ValueError(f"too many counties for 6-digit codes: {counties}")
        stem = parent[:2] + "90" if parent.endswith("0000") else parent[:4]
        code = f"{stem}{serials[parent]:02d}"
        units.append((code, f"县区{code}教育局", "county", parent))
    return units


def _school_counts(units: list[Unit], schools: int, rng: random.Random) -> Counter[str]:
    by_level: dict[str, list[str]] = {"provincial": [], "prefectural": [], "county": []}
    for code, _, level, _ in units:
        if level in by_level:
            by_level[level].append(code)
    on_provinces = round(schools * PROVINCE_SCHOOL_SHARE)
    on_prefectures = round(schools * PREFECTURE_SCHOOL_SHARE)
    counts: Counter[str] = Counter()
    if not by_level["county"]:
        on_prefectures = schools - on_provinces
    counts.update(rng.choices(by_level["provincial"], k=on_provinces))
    counts.update(rng.choices(by_level["prefectural"], k=on_prefectures))
    if by_level["county"]:
        counts.update(rng.choices(by_level["county"], k=schools - on_provinces - on_prefectures))
    if counts and max(counts.values()) > MAX_SCHOOLS_PER_UNIT:
        raise ValueError(f"too many schools per unit for 10-digit codes: {schools}")
    return counts


def write_national_tree(
    out_dir: Path, *, counties: int = 3000, schools: int = 500_000, seed: int = 0
) -> tuple[Path, Path]:
    """Write ``units.csv`` and ``schools.csv`` into ``out_dir``; return their paths.

    Unit codes are unique 6-digit strings, school codes unique 10-digit strings, parents come
    before their children. Raises ValueError when the counts do not fit in those codes.
    """
    if counties < 0 or schools < 0:
        raise ValueError("counties and schools must not be negative")
    rng = random.Random(seed)
    units = _units(counties)
    counts = _school_counts(units, schools, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    units_path, schools_path = out_dir / "units.csv", out_dir / "schools.csv"
    with units_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(UNITS_HEADER)
        writer.writerows(
            (*unit, f"0000-6{unit[0]}", f"edu{unit[0]}@example.invalid") for unit in units
        )
    # One formatted block instead of csv.writer: half a million rows in well under a second.
    lines = [",".join(SCHOOLS_HEADER)]
    for code, _, _, _ in units:
        lines.extend(f"{code}{n:04d},学校{code}{n:04d},{code}" for n in range(1, counts[code] + 1))
    schools_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return units_path, schools_path


class _Picker:
    """Draws sets of school codes whose supervising units meet at a chosen level."""

    def __init__(self, units_csv: Path, schools_csv: Path, rng: random.Random) -> None:
        self.rng = rng
        parent: dict[str, str] = {}
        self.level: dict[str, str] = {}
        with units_csv.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                parent[row["code"]] = row["parent_code"]
                self.level[row["code"]] = row["level"]
        direct: dict[str, list[str]] = {code: [] for code in parent}
        with schools_csv.open(encoding="utf-8", newline="") as f:
            rows = csv.reader(f)
            next(rows)
            for code, _, unit_code in rows:
                direct[unit_code].append(code)
        self.schools = [code for codes in direct.values() for code in codes]
        # Schools in each unit's subtree, built deepest level first.
        depth = {"national": 0, "provincial": 1, "prefectural": 2, "county": 3}
        subtree = {code: list(codes) for code, codes in direct.items()}
        children: dict[str, list[str]] = {code: [] for code in parent}
        for code in sorted(parent, key=lambda c: -depth[self.level[c]]):
            if parent[code]:
                subtree[parent[code]].extend(subtree[code])
                children[parent[code]].append(code)
        # Buckets whose schools meet exactly at the unit: its own, and each child's subtree.
        self.meeting: dict[str, list[list[list[str]]]] = {level: [] for level in depth}
        for code, kids in children.items():
            buckets = [b for b in [direct[code], *(subtree[k] for k in kids)] if b]
            if len(buckets) >= 2:
                self.meeting[self.level[code]].append(buckets)
        self.county_pairs = [
            codes
            for code, codes in direct.items()
            if len(codes) >= 2 and self.level[code] == "county"
        ]
        self.subtrees = [codes for codes in subtree.values() if len(codes) >= 3]

    def kinds(self) -> list[tuple[str, float]]:
        available = {
            "single": bool(self.schools),
            "same_county": bool(self.county_pairs),
            "same_prefecture": bool(self.meeting["prefectural"]),
            "same_province": bool(self.meeting["provincial"]),
            "national": bool(self.meeting["national"]),
            "many": bool(self.subtrees),
        }
        return [(kind, share) for kind, share in COMPLAINT_MIX if available[kind]]

    def draw(self, kind: str) -> tuple[str, ...]:
        rng = self.rng
        if kind == "single":
            return (rng.choice(self.schools),)
        if kind == "same_county":
            return tuple(rng.sample(rng.choice(self.county_pairs), 2))
        if kind == "many":
            codes = rng.choice(self.subtrees)
            return tuple(rng.sample(codes, min(len(codes), rng.randint(3, 6))))
        level = {"same_prefecture": "prefectural", "same_province": "provincial"}.get(
            kind, "national"
        )
        buckets = rng.choice(self.meeting[level])
        first, second = rng.sample(buckets, 2)
        return (rng.choice(first), rng.choice(second))


def generate_complaints(
    units_csv: Path, schools_csv: Path, n: int, *, seed: int = 0
) -> list[tuple[str, ...]]:
    """Return ``n`` complaints, each the tuple of school codes it involves.

    Deterministic for a seed. About 80% name one school; the rest name two schools that
    meet in one county, one prefecture, one province or only at the Ministry, or 3 to 6
    schools of one subtree. Kinds the tree cannot supply (too small) are left out.
    """
    rng = random.Random(seed)
    picker = _Picker(units_csv, schools_csv, rng)
    mix = picker.kinds()
    if not mix:
        raise ValueError("the tree has no schools")
    kinds: Sequence[str] = rng.choices([k for k, _ in mix], [w for _, w in mix], k=n)
    return [picker.draw(kind) for kind in kinds]
