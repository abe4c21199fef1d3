"""Tuning guard: the orders rules give exactly the same output as a reference version.

    .venv/bin/python -m bench.check_rules [--rows 300000] [--ref HEAD]

Builds parsed records from adversarial random values (every accepted form of every
column, out-of-range components, odd spacing, overflows, junk), runs ``clean`` of the
working tree and of ``glue_jobs/glue_lib/orders.py`` at git revision ``--ref`` on them,
and fails unless both return the same rows (every column, compared with ``exceptAll``
both ways). Rewriting a rule for speed must not change a single value.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "glue_jobs")]

from glue_lib import orders  # noqa: E402
from glue_lib.csv_records import record_schema  # noqa: E402
from glue_lib.session import build_spark  # noqa: E402


def load_reference(ref: str):
    """``glue_lib.orders`` as it is at git revision ``ref``, as module ``glue_lib._ref``."""
    source = subprocess.run(
        ["git", "show", f"{ref}:glue_jobs/glue_lib/orders.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("glue_lib._orders_ref", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "glue_lib"
    exec(compile(source, f"{ref}:orders.py", "exec"), module.__dict__)
    return module


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _num(rng: random.Random, width: int, top: int) -> str:
    if rng.random() < 0.8:
        value = rng.randrange(1, top + 1)
    else:
        value = rng.choice((0, 1, rng.randrange(top + 2), top, top + 1, rng.randrange(100)))
    return f"{value:0{width}d}" if rng.random() < 0.9 else str(value)


def _pad(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.1:
        return f" {text} "
    if roll < 0.13:
        return text + rng.choice(("\n", "\t", "x", "  "))
    return text


def a_date(rng: random.Random) -> str:
    y, m, d = _num(rng, 4, 9999), _num(rng, 2, 12), _num(rng, 2, 31)
    form = rng.randrange(4)
    if form == 0:
        return f"{y}-{m}-{d}"
    if form == 1:
        return f"{y}/{m}/{d}"
    if form == 2:
        return f"{m.lstrip('0') if rng.random() < 0.5 else m}/{d}/{y}"
    return a_timestamp(rng)


def a_timestamp(rng: random.Random) -> str:
    y = rng.choice(("2024", "0000", "0001", "9999", "1999", _digits(rng, 4)))
    m, d = _num(rng, 2, 12), _num(rng, 2, 31)
    text = f"{y}-{m}-{d}T{_num(rng, 2, 23)}:{_num(rng, 2, 59)}"
    if rng.random() < 0.8:
        text += f":{_num(rng, 2, 59)}"
        if rng.random() < 0.3:
            text += "." + _digits(rng, rng.randrange(1, 11))
    zone = rng.randrange(5)
    if zone == 1:
        text += "Z"
    elif zone >= 2:
        hours, minutes = _num(rng, 2, 18), rng.choice(("00", "30", "45", "59", "60"))
        sep = ":" if zone == 2 else ""
        text += f"{rng.choice('+-')}{hours}{sep}{minutes}"
    return text


def a_price(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        text = str(rng.randrange(10 ** rng.randrange(1, 14)))
    elif roll < 0.7:
        whole = rng.randrange(1, 10**7)
        text = f"{whole:,}"
    else:
        text = rng.choice(("0", "00012", _digits(rng, rng.randrange(1, 40)), "9999999999"))
    if rng.random() < 0.7:
        text += "." + _digits(rng, rng.randrange(0, 7))
    if rng.random() < 0.2:
        text = "$" + text
    if rng.random() < 0.05:
        text = rng.choice(("-5.00", "abc", "1,2,3", "$", "12,50", "1.2.3", ".5", "5.", "€1"))
    return text


def a_value(rng: random.Random, column: str) -> str | None:
    if rng.random() < 0.03:
        return rng.choice((None, "", "   "))
    if column in ("order_date", "updated_at"):
        text = a_date(rng) if column == "order_date" else a_timestamp(rng)
        if column == "updated_at" and rng.random() < 0.2:
            text = a_date(rng)
    elif column == "unit_price":
        text = a_price(rng)
    elif column == "quantity":
        text = rng.choice(
            ("1", "+3", "03", "0", "-1", "2147483647", "2147483648", "1.5", "1e3", "99999999999")
        )
    elif column == "status":
        text = rng.choice(("pending", "Shipped", "canceled", "CANCELLED", "lost", "returned"))
    elif column == "country":
        text = rng.choice(("US", "usa", "India", "Atlantis", "de", "United Kingdom", "N/A"))
    else:
        text = f"{column[:1].upper()}{rng.randrange(10**6)}"
    return _pad(rng, text)


def records(rng: random.Random, rows: int) -> list[tuple]:
    out = []
    for line in range(rows):
        error = "malformed_row" if rng.random() < 0.01 else None
        values = [a_value(rng, c) for c in orders.COLUMNS]
        out.append(("k", line + 2, error, "raw" if error else None, *values))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--ref", default="HEAD")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    reference = load_reference(args.ref)
    spark = build_spark("check_rules", {"spark.master": "local[2]"})
    data = spark.createDataFrame(
        records(random.Random(args.seed), args.rows), record_schema(orders.COLUMNS)
    ).cache()
    mine, theirs = orders.clean(data), reference.clean(data)
    if mine.dtypes != theirs.dtypes:
        raise SystemExit(f"columns differ:\n{mine.dtypes}\n{theirs.dtypes}")
    extra, missing = mine.exceptAll(theirs), theirs.exceptAll(mine)
    n_extra, n_missing = extra.count(), missing.count()
    reasons = {r["reason"]: r["count"] for r in mine.groupBy("reason").count().collect()}
    print(f"{args.rows} rows; reasons {reasons}")
    if n_extra or n_missing:
        extra.show(10, False)
        missing.show(10, False)
        raise SystemExit(
            f"DIFFERENT from {args.ref}: {n_extra} rows only here, {n_missing} only there"
        )
    print(f"identical to {args.ref}")


if __name__ == "__main__":
    main()
