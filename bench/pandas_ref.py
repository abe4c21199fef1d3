"""pandas reference: the kind of script that runs in a Lambda, chunked read, same rules.

    python -m bench.pandas_ref --manifest <lake>/_runs/orders/<date>/manifest.json

One process, one core: each accepted file is read in chunks (``read_csv``, C parser,
every column a string, no type inference, no NA guessing), each chunk is cleaned with
vectorised string operations and only the valid rows' few needed columns are kept;
then one sort deduplicates per ``order_id`` (latest ``updated_at``, then file, then
record) and a group-by gives revenue_by_month. Money is integer cents, exact.

Known differences from the contract: pandas' C parser skips lines with too many fields
(counted here as ``malformed_row`` from its warnings), but pads lines with too few
fields and accepts broken quoting, so those rows get another verdict. The benchmark
reports the difference.
"""

from __future__ import annotations

import argparse
import re
import time
import warnings
from collections import Counter

import numpy as np
import pandas as pd

from bench import reference as ref
from bench.measure import emit_result

CHUNK_ROWS = 200_000
_SKIPPED = re.compile(r"Skipping line \d+")


def _full(series: pd.Series, pattern: str) -> pd.Series:
    return series.str.fullmatch(pattern).fillna(False).astype(bool)


def _timestamp(text: pd.Series) -> pd.Series:
    """Matched ISO timestamps -> UTC (offsets ``±HHMM`` given a colon, seconds added)."""
    fixed = text.str.replace(r"([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)
    fixed = fixed.str.replace(r"(T\d{2}:\d{2})(Z|[+-]\d{2}:\d{2})?$", r"\1:00\2", regex=True)
    return pd.to_datetime(fixed, format="ISO8601", utc=True, errors="coerce")


def _cents(text: pd.Series) -> pd.Series:
    """Matched price text -> integer cents, rounded half-up; NaN beyond MAX_PRICE."""
    digits = text.str.replace(r"[$,]", "", regex=True)
    parts = digits.str.split(".", n=1, expand=True).reindex(columns=[0, 1])
    whole = parts[0].fillna("0")
    fraction = parts[1].fillna("").str.pad(3, side="right", fillchar="0").str.slice(0, 3)
    whole_ok = whole.str.len() <= 11
    cents = (
        pd.to_numeric(whole.where(whole_ok, "0")) * 100
        + (pd.to_numeric(fraction.where(fraction != "", "000")) + 5) // 10
    )
    return cents.where(whole_ok & (cents <= 999_999_999_999)).astype("float64")


def clean_chunk(chunk: pd.DataFrame, file: ref.RunFile, first_record: int, countries: dict):
    """(reason counts, valid rows with the columns dedupe and aggregation need)."""
    chunk.columns = [str(name).strip(" ").lower() for name in chunk.columns]
    n = len(chunk)
    empty = pd.Series([""] * n, index=chunk.index, dtype="str")
    col = {name: chunk[name].fillna("") if name in chunk else empty for name in ref.COLUMNS}
    trimmed = {name: values.str.strip(" ") for name, values in col.items()}
    missing = np.zeros(n, dtype=bool)
    for name in ref.REQUIRED:
        missing |= (trimmed[name] == "").to_numpy()

    d = trimmed["order_date"]
    order_date = pd.Series(pd.NaT, index=chunk.index, dtype="datetime64[ns]")
    for pattern, fmt in ((ref.ISO_DATE, "%Y-%m-%d"), (ref.SLASH_YMD, "%Y/%m/%d")):
        hit = _full(d, pattern)
        order_date[hit] = pd.to_datetime(d[hit], format=fmt, errors="coerce")
    hit = _full(d, ref.US_DATE)
    order_date[hit] = pd.to_datetime(d[hit], format="%m/%d/%Y", errors="coerce")
    hit = _full(d, ref.ISO_TIMESTAMP)
    order_date[hit] = _timestamp(d[hit]).dt.tz_localize(None).dt.floor("D")

    u = trimmed["updated_at"]
    updated = pd.Series(pd.NaT, index=chunk.index, dtype="datetime64[ns, UTC]")
    hit = _full(u, ref.ISO_DATE)
    updated[hit] = pd.to_datetime(u[hit], format="%Y-%m-%d", errors="coerce", utc=True)
    hit = ~hit & _full(u, ref.ISO_TIMESTAMP)
    updated[hit] = _timestamp(u[hit])

    s = trimmed["status"].str.lower().replace("canceled", "cancelled")
    status_ok = s.isin(["pending", "shipped", "delivered", "cancelled", "returned"])

    q = trimmed["quantity"]
    q_hit = _full(q, ref.QUANTITY)
    quantity = pd.to_numeric(q.where(q_hit, "0"), errors="coerce").where(q_hit)
    quantity = quantity.where((quantity >= 1) & (quantity <= ref.MAX_INT))

    p = trimmed["unit_price"]
    p_hit = _full(p, ref.PRICE)
    cents = pd.Series(np.nan, index=chunk.index)
    cents[p_hit] = _cents(p[p_hit])
    too_big = (quantity.fillna(0) * cents.fillna(0)) > 99_999_999_999_999

    reason = np.select(
        [
            missing,
            (order_date.isna() | ((u != "") & updated.isna())).to_numpy(),
            ~status_ok.to_numpy(),
            quantity.isna().to_numpy(),
            cents.isna().to_numpy(),
            too_big.to_numpy(),
        ],
        ["missing_field", "bad_date", "bad_status", "bad_quantity", "bad_price", "bad_quantity"],
        default="",
    )
    counts = Counter(reason[reason != ""].tolist())
    valid = reason == ""
    _country = trimmed["country"].str.upper().map(countries).fillna("UNKNOWN")  # same work
    kept = pd.DataFrame(
        {
            "order_id": trimmed["order_id"][valid],
            "updated_at": updated[valid].fillna(pd.Timestamp.min.tz_localize("UTC")),
            "file_order": file.order,
            "record": np.arange(first_record, first_record + n)[valid],
            "order_month": order_date[valid].dt.strftime("%Y-%m"),
            "paying": ~s[valid].isin(list(ref.NON_REVENUE)),
            "amount_cents": (quantity[valid] * cents[valid]).astype("int64"),
        }
    )
    return counts, kept


def run(manifest: str) -> dict:
    started = time.monotonic()
    from glue_lib.countries import country_lookup  # the same lookup table the job uses

    countries = country_lookup()
    reasons: Counter[str] = Counter()
    kept_parts = []
    rows_read = 0
    for file in ref.run_files(manifest):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reader = pd.read_csv(
                file.path,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                encoding="utf-8-sig",
                on_bad_lines="warn",
                chunksize=CHUNK_ROWS,
            )
            first = 0
            for chunk in reader:
                counts, kept = clean_chunk(chunk, file, first, countries)
                first += len(chunk)
                reasons.update(counts)
                kept_parts.append(kept)
        skipped = sum(len(_SKIPPED.findall(str(w.message))) for w in caught)
        reasons["malformed_row"] += skipped
        rows_read += first + skipped
    cleaned_at = time.monotonic()
    valid = pd.concat(kept_parts, ignore_index=True)
    del kept_parts
    valid = valid.sort_values(["order_id", "updated_at", "file_order", "record"])
    latest = valid.drop_duplicates("order_id", keep="last")
    duplicates = len(valid) - len(latest)
    monthly = latest.assign(revenue=latest["amount_cents"].where(latest["paying"], 0)).groupby(
        "order_month"
    )
    groups = [
        (month, int(g["revenue"].size), int(g["paying"].sum()), int(g["revenue"].sum()))
        for month, g in monthly
    ]
    finished = time.monotonic()
    return {
        "engine": "pandas",
        "timings": {
            "clean": round(cleaned_at - started, 2),
            "dedupe_aggregate": round(finished - cleaned_at, 2),
        },
        "totals": {
            "rows_read": rows_read,
            "rows_valid": len(latest),
            "rows_rejected": sum(reasons.values()),
            "rows_duplicate": duplicates,
        },
        "rejections_by_reason": dict(sorted(reasons.items())),
        "revenue_by_month": ref.month_rows(groups),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", required=True)
    args = parser.parse_args()
    emit_result(run(args.manifest))


if __name__ == "__main__":
    main()
