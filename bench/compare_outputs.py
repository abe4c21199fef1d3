"""Tuning guard: two runs of the orders job wrote the same data.

    .venv/bin/python -m bench.compare_outputs <lake A> <lake B> [--date 2024-03-01]

Compares ``processed/orders/run_date=D`` and ``quarantine/orders/rows/run_date=D`` row for
row (every column, as multisets, with DuckDB) and the counts in ``job_counts.json``
(files, totals, rejections by reason). Exits non-zero on any difference.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

PARTS = {
    "processed": "processed/orders/run_date={date}",
    "quarantine": "quarantine/orders/rows/run_date={date}",
}


def compare(a: Path, b: Path, date: str) -> list[str]:
    problems = []
    con = duckdb.connect()
    for name, pattern in PARTS.items():
        left = f"read_parquet('{a / pattern.format(date=date)}/*.parquet')"
        right = f"read_parquet('{b / pattern.format(date=date)}/*.parquet')"
        schema_a = con.execute(f"DESCRIBE SELECT * FROM {left}").fetchall()
        schema_b = con.execute(f"DESCRIBE SELECT * FROM {right}").fetchall()
        if schema_a != schema_b:
            problems.append(f"{name}: schemas differ: {schema_a} vs {schema_b}")
            continue
        rows = con.execute(f"SELECT count(*) FROM {left}").fetchone()[0]
        only_a = con.execute(
            f"SELECT count(*) FROM (SELECT * FROM {left} EXCEPT ALL SELECT * FROM {right})"
        ).fetchone()[0]
        only_b = con.execute(
            f"SELECT count(*) FROM (SELECT * FROM {right} EXCEPT ALL SELECT * FROM {left})"
        ).fetchone()[0]
        files = len(list((a / pattern.format(date=date)).glob("*.parquet")))
        files_b = len(list((b / pattern.format(date=date)).glob("*.parquet")))
        print(
            f"{name}: {rows} rows ({files} vs {files_b} files),"
            f" {only_a} only in A, {only_b} only in B"
        )
        if only_a or only_b:
            problems.append(f"{name}: {only_a} rows only in A, {only_b} only in B")
    counts = [
        json.loads((lake / f"_runs/orders/{date}/job_counts.json").read_text()) for lake in (a, b)
    ]
    for key in ("files", "totals", "rejections_by_reason", "rows_valid_by_table"):
        if counts[0].get(key) != counts[1].get(key):
            problems.append(f"job_counts.json {key} differs")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--date", default="2024-03-01")
    args = parser.parse_args()
    problems = compare(args.a, args.b, args.date)
    if problems:
        raise SystemExit("DIFFERENT:\n" + "\n".join(problems))
    print("same processed rows, quarantine rows and counts")


if __name__ == "__main__":
    main()
