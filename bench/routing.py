"""Benchmark: load a national-size organisation tree and route complaints over it.

    python bench/routing.py [--counties N] [--schools N] [--complaints N] [--seed N]

Writes a synthetic tree (bench.synthetic) to a temporary directory, times
``OrgTree.load(units_csv, schools_csv)``, pre-generates the complaints (not timed), then times
``responsible_unit(tree, school_codes)`` over all of them in one process pinned to one core.
Goals: load under 3 s, at least 300,000 decisions per second.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from synthetic import generate_complaints, write_national_tree

from domain.orgtree import OrgTree
from domain.routing import responsible_unit

LOAD_GOAL_SECONDS = 3.0
DECISIONS_GOAL_PER_SECOND = 300_000


def pin_to_one_core() -> str:
    """Run on a single CPU where the OS allows it; say which."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def main() -> None:
    parser = argparse.ArgumentParser(description="Time tree loading and complaint routing.")
    parser.add_argument("--counties", type=int, default=3000)
    parser.add_argument("--schools", type=int, default=500_000)
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"one core: {pin_to_one_core()}")

    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as tmp:
        started = time.perf_counter()
        units_csv, schools_csv = write_national_tree(
            Path(tmp), counties=args.counties, schools=args.schools, seed=args.seed
        )
        written = time.perf_counter() - started
        with units_csv.open(encoding="utf-8") as f:
            levels = Counter(line.split(",")[2] for line in list(f)[1:])
        print(
            f"tree: {sum(levels.values()):,} units ({levels['national']} national, "
            f"{levels['provincial']} provincial, {levels['prefectural']} prefectural, "
            f"{levels['county']:,} county), {args.schools:,} schools; written in {written:.2f} s"
        )

        gc.collect()
        started = time.perf_counter()
        tree = OrgTree.load(units_csv, schools_csv)
        load_seconds = time.perf_counter() - started

        complaints = generate_complaints(units_csv, schools_csv, args.complaints, seed=args.seed)
    sizes = Counter(len(codes) for codes in complaints)
    print(
        f"complaints: {len(complaints):,} pre-generated, by number of schools: "
        + ", ".join(f"{k}: {v:,}" for k, v in sorted(sizes.items()))
    )

    # The complaint list itself should not make the collector busy while routing is timed.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    for school_codes in complaints:
        responsible_unit(tree, school_codes)
    route_seconds = time.perf_counter() - started
    rate = len(complaints) / route_seconds if route_seconds else float("inf")

    print(
        f"load:    {load_seconds:.2f} s        goal < {LOAD_GOAL_SECONDS:g} s: "
        f"{verdict(load_seconds < LOAD_GOAL_SECONDS)}"
    )
    print(
        f"routing: {rate:,.0f} decisions/s ({len(complaints):,} in {route_seconds:.2f} s)  "
        f"goal >= {DECISIONS_GOAL_PER_SECOND:,}/s: {verdict(rate >= DECISIONS_GOAL_PER_SECOND)}"
    )


if __name__ == "__main__":
    main()
