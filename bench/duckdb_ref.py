"""DuckDB reference: the orders contract as SQL over ``read_csv``, then revenue_by_month.

    python -m bench.duckdb_ref --manifest <lake>/_runs/orders/<date>/manifest.json

Each accepted file is read with an explicit dialect (comma, RFC 4180 quotes, strict
mode, no null padding, every column VARCHAR, no type inference); a line DuckDB's reader
rejects (wrong field count, broken quoting) is ``malformed_row`` (counted from DuckDB's
reject table). One file is read per query; a query per thread runs at a time. The rows
are cleaned into one temporary table (the same rules as
``glue_lib/orders.py``, in SQL), deduplicated per ``order_id`` (latest ``updated_at``,
then file, then record) and aggregated. Prices are cast to DECIMAL(18, 3), not (38, 3):
the same values (anything wider is over MAX_PRICE either way) and DuckDB's 128-bit
decimal cast is twenty times slower.

Known difference from the contract: DuckDB's reader accepts two spellings of broken
quoting that the contract calls malformed (a stray quote inside an unquoted value,
``C0"01``, and a space after a closing quote, ``"C01" ,``), so a few hundred rows per
million that the job rejects are valid here. The benchmark reports the difference.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import duckdb

from bench import reference as ref
from bench.measure import emit_result


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def file_select(file: ref.RunFile, with_record_number: bool) -> str:
    """One file's records: lineage, then the contract columns (NULL where absent)."""
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(file.header)))
    values = []
    for name in ref.COLUMNS:
        pos = file.position(name)
        values.append(f"c{pos} AS raw_{name}" if pos is not None else f"NULL AS raw_{name}")
    record = "row_number() OVER ()" if with_record_number else "0"
    return (
        f"SELECT {_literal(file.key)} AS source_key, {file.order} AS file_order, "
        f"{record} AS record, {', '.join(values)} "
        f"FROM read_csv({_literal(str(file.path))}, auto_detect = false, header = true, "
        f"columns = {{{columns}}}, delim = ',', quote = '\"', escape = '\"', "
        "strict_mode = true, null_padding = false, ignore_errors = true, "
        "store_rejects = true)"
    )


def _ts(v: str) -> str:
    """ISO timestamp text (already matched) -> TIMESTAMPTZ, as glue_lib.orders does it."""
    colon = rf"regexp_replace({v}, '([+-]\d{{2}})(\d{{2}})$', '\1:\2')"
    seconds = rf"regexp_replace({colon}, '(T\d{{2}}:\d{{2}})(Z|[+-]\d{{2}}:\d{{2}})?$', '\1:00\2')"
    return f"TRY_CAST({seconds} AS TIMESTAMPTZ)"


def cleaned_sql(files: list[ref.RunFile], with_record_number: bool = True) -> str:
    union = "\nUNION ALL\n".join(file_select(f, with_record_number) for f in files)

    def full(v: str, pattern: str) -> str:
        return f"regexp_full_match({v}, {_literal(pattern)})"

    blank = {c: f"(raw_{c} IS NULL OR trim(raw_{c}) = '')" for c in ref.COLUMNS}
    return rf"""
WITH raw AS ({union}),
trimmed AS (
    SELECT source_key, file_order, record,
        trim(raw_order_id) AS order_id, upper(trim(raw_customer_id)) AS customer_id,
        trim(raw_order_date) AS d, lower(trim(raw_status)) AS s, trim(raw_quantity) AS q,
        trim(raw_unit_price) AS p, trim(raw_updated_at) AS u,
        upper(trim(raw_country)) AS country_key,
        {" OR ".join(blank[c] for c in ref.REQUIRED)} AS missing,
        {blank["updated_at"]} AS no_updated_at
    FROM raw
),
parsed AS (
    SELECT *,
        CASE
            WHEN {full("d", ref.ISO_DATE)} THEN try_strptime(d, '%Y-%m-%d')::DATE
            WHEN {full("d", ref.SLASH_YMD)} THEN try_strptime(d, '%Y/%m/%d')::DATE
            WHEN {full("d", ref.US_DATE)} THEN try_strptime(d, '%m/%d/%Y')::DATE
            WHEN {full("d", ref.ISO_TIMESTAMP)} THEN {_ts("d")}::DATE
        END AS order_date,
        CASE
            WHEN {full("u", ref.ISO_DATE)} THEN try_strptime(u, '%Y-%m-%d')::TIMESTAMPTZ
            WHEN {full("u", ref.ISO_TIMESTAMP)} THEN {_ts("u")}
        END AS updated_at,
        CASE WHEN s = 'canceled' THEN 'cancelled'
             WHEN s IN ('pending', 'shipped', 'delivered', 'cancelled', 'returned') THEN s
        END AS status,
        CASE WHEN {full("q", ref.QUANTITY)} AND TRY_CAST(q AS BIGINT) BETWEEN 1 AND {ref.MAX_INT}
             THEN TRY_CAST(q AS BIGINT)::INTEGER END AS quantity,
        CASE WHEN {full("p", ref.PRICE)} THEN round(TRY_CAST(regexp_replace(
                replace(replace(p, '$', ''), ',', ''), '(\.\d{{3}})\d+$', '\1')
             AS DECIMAL(18, 3)), 2) END AS rounded_price
    FROM trimmed
),
priced AS (
    SELECT *, CASE WHEN rounded_price <= {ref.MAX_PRICE}
        THEN CAST(rounded_price AS DECIMAL(12, 2)) END AS price
    FROM parsed
)
SELECT source_key, file_order, record, order_id, customer_id, order_date, updated_at, status,
    quantity, price AS unit_price,
    coalesce(c.code, 'UNKNOWN') AS country,
    CAST(quantity::DECIMAL(10, 0) * price AS DECIMAL(14, 2)) AS amount,
    strftime(order_date, '%Y-%m') AS order_month,
    CASE
        WHEN missing THEN 'missing_field'
        WHEN order_date IS NULL OR (NOT no_updated_at AND updated_at IS NULL) THEN 'bad_date'
        WHEN status IS NULL THEN 'bad_status'
        WHEN quantity IS NULL THEN 'bad_quantity'
        WHEN price IS NULL THEN 'bad_price'
        WHEN quantity::DECIMAL(10, 0) * price > {ref.MAX_AMOUNT} THEN 'bad_quantity'
    END AS reason
FROM priced LEFT JOIN countries AS c ON priced.country_key = c.name
"""


DEDUPED = """
SELECT *, row_number() OVER (
    PARTITION BY order_id ORDER BY updated_at DESC NULLS LAST, file_order DESC, record DESC
) AS version
FROM cleaned WHERE reason IS NULL
"""


def run(manifest: str, threads: int | None, with_record_number: bool) -> dict:
    started = time.monotonic()
    files = ref.run_files(manifest)
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    workers = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute("SET TimeZone = 'UTC'")
    from glue_lib.countries import country_lookup  # the same lookup table the job uses

    con.execute("CREATE TABLE countries (name VARCHAR, code VARCHAR)")
    con.executemany("INSERT INTO countries VALUES (?, ?)", sorted(country_lookup().items()))
    con.execute(f"CREATE TABLE cleaned AS {cleaned_sql(files[:1], with_record_number)} LIMIT 0")
    # DuckDB reads a strict-mode CSV with a reject table on one thread, so the files are
    # spread over one cursor per thread, each appending to the same table.
    malformed = 0

    def load(share: list[ref.RunFile]) -> int:
        cursor = con.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        for file in share:
            cursor.execute(f"INSERT INTO cleaned {cleaned_sql([file], with_record_number)}")
        rejects = cursor.execute("SELECT count(*) FROM reject_errors").fetchone()[0]
        cursor.close()
        return rejects

    shares = [files[i::workers] for i in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        malformed = sum(pool.map(load, [share for share in shares if share]))
    cleaned_at = time.monotonic()
    by_reason = dict(
        con.execute(
            "SELECT reason, count(*) FROM cleaned WHERE reason IS NOT NULL GROUP BY reason"
        ).fetchall()
    )
    if malformed:
        by_reason["malformed_row"] = by_reason.get("malformed_row", 0) + malformed
    groups = con.execute(
        f"""
        WITH kept AS ({DEDUPED})
        SELECT order_month, count(*) FILTER (WHERE version = 1),
            count(*) FILTER (WHERE version = 1 AND status NOT IN ('cancelled', 'returned')),
            coalesce(sum(amount) FILTER (WHERE version = 1
                AND status NOT IN ('cancelled', 'returned')), 0),
            count(*) FILTER (WHERE version > 1)
        FROM kept GROUP BY order_month
        """
    ).fetchall()
    valid = sum(g[1] for g in groups)
    duplicate = sum(g[4] for g in groups)
    rejected = sum(by_reason.values())
    finished = time.monotonic()
    return {
        "engine": "duckdb",
        "files": len(files),
        "timings": {
            "clean": round(cleaned_at - started, 2),
            "dedupe_aggregate": round(finished - cleaned_at, 2),
        },
        "totals": {
            "rows_read": valid + duplicate + rejected,
            "rows_valid": valid,
            "rows_rejected": rejected,
            "rows_duplicate": duplicate,
        },
        "rejections_by_reason": dict(sorted(by_reason.items())),
        "revenue_by_month": ref.month_rows([(g[0], g[1], g[2], g[3]) for g in groups if g[1]]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--no-record-number", action="store_true")
    args = parser.parse_args()
    emit_result(run(args.manifest, args.threads or None, not args.no_record_number))


if __name__ == "__main__":
    main()
