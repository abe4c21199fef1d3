"""End to end on the local target: the real invoices DAG for two landing dates against a real
PostgreSQL server, checked against the independent oracle (tests/oracle/invoices_oracle.py),
then a re-run of the older date that must change and double nothing (three runs in all)."""

from __future__ import annotations

import csv
import os
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest
from oracle.invoices_oracle import judge_bytes, simulate_runs

from pipeline.generate.invoices import generate_invoices

from .orders_lake import data_files, parquet_rows, pipeline_cli, run_record

pytestmark = pytest.mark.integration

DAY1, DAY2 = date(2024, 3, 1), date(2024, 3, 2)
COUNTS = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")
SUMMARIES = ("revenue_by_customer", "monthly_invoicing")
CSV = "enriched/invoices/csv"
CORRECTED = """# re-issued by hand: replaces the invoice sent the day before
Invoice Number: {number}
Invoice Date: 2024-03-02
Customer ID: C-9999
Items:
  - SKU: FIX-1 | Description: Corrected invoice | Quantity: 1 | Unit Price: 42.00
Total: 42.00
"""


@pytest.fixture(scope="module")
def lake(tmp_path_factory, postgres_url):
    """Two landings (every reason, bad files, re-sent numbers, updates of day 1's invoices),
    a byte-identical copy of a day-1 file on day 2 and a day-2 upload without a date in its
    key (it lands by modification time) that replaces a day-1 invoice with new content;
    both dates run through the DAG, loading the test server."""
    root = tmp_path_factory.mktemp("invoices_e2e") / "lake"
    generate_invoices(str(root), DAY1, rows=30, files=2, seed=21, bad_files=3)
    generate_invoices(str(root), DAY2, rows=20, files=2, seed=22, bad_files=1)
    accepted = [
        path
        for path in sorted((root / f"raw/invoices/dt={DAY1}").rglob("*.txt"))
        if judge_bytes(path.read_bytes()).reason is None
    ]
    noon = datetime(DAY2.year, DAY2.month, DAY2.day, 12, tzinfo=UTC).timestamp()
    copy = root / f"raw/invoices/dt={DAY2}/upload-1/resent_{accepted[0].name}"
    shutil.copyfile(accepted[0], copy)
    loose = root / "raw/invoices/manual_upload.txt"
    number = judge_bytes(accepted[1].read_bytes()).invoice.invoice_number
    loose.write_text(CORRECTED.format(number=number))
    for path in (copy, loose):
        os.utime(path, (noon + 3600, noon + 3600))
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS invoice_lines, invoices")
    airflow_home = tmp_path_factory.mktemp("airflow")
    env = {"PIPELINE_INVOICES_DB_URL": postgres_url}
    for day in (DAY1, DAY2):
        result = run(root, day, airflow_home, env)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root, airflow_home, env, number


def run(root, day, airflow_home, env):
    return pipeline_cli(
        "run",
        "invoices",
        "--lake",
        str(root),
        "--date",
        str(day),
        airflow_home=airflow_home,
        env=env,
    )


@pytest.fixture(scope="module")
def oracle(lake):
    return simulate_runs(lake[0], [DAY1, DAY2])


def database(lake) -> dict[str, list[tuple]]:
    url = lake[2]["PIPELINE_INVOICES_DB_URL"]
    with psycopg.connect(url) as connection:
        return {
            "invoices": connection.execute(
                "SELECT invoice_number, invoice_date, customer_id, customer_name, currency, "
                "subtotal, tax, total, line_count, run_date, file_order, xmin::text, loaded_at "
                "FROM invoices ORDER BY invoice_number"
            ).fetchall(),
            "invoice_lines": connection.execute(
                "SELECT invoice_number, line_number, sku, description, quantity, unit_price, "
                "amount, xmin::text FROM invoice_lines ORDER BY invoice_number, line_number"
            ).fetchall(),
        }


def csv_files(root) -> dict[str, list[dict]]:
    """Invoice folder -> its CSV rows (every data file of the folder, to catch doubles)."""
    found: dict[str, list[dict]] = {}
    for path in sorted((root / CSV).rglob("*.csv")):
        if path.name.startswith((".", "_")):
            continue
        with path.open(newline="", encoding="utf-8") as stream:
            found.setdefault(path.parent.name, []).extend(csv.DictReader(stream))
    return found


# --- the two runs ---------------------------------------------------------------------------


@pytest.mark.parametrize("day", [DAY1, DAY2])
def test_run_record_matches_the_oracle_file_by_file(lake, oracle, day):
    record = run_record(lake[0], "invoices", str(day))
    expected = oracle.runs[day]
    assert record["status"] == "success", record.get("error")
    got = {f["key"]: f for f in record["files"]}
    assert set(got) == set(expected.files)
    for key, want in expected.files.items():
        entry = got[key]
        counts = {c: entry[c] for c in COUNTS}
        assert counts["rows_read"] == 1, key
        assert counts[f"rows_{want.outcome}"] == 1, (key, entry, want)
        assert entry.get("reason") == want.reason, key
    totals = record["totals"]
    assert {c: totals[c] for c in COUNTS} == expected.totals
    assert totals["files"] == totals["rows_read"] == len(expected.files)
    # files_read = files_valid + files_rejected + files_duplicate
    assert totals["files"] == (
        totals["files_valid"] + totals["files_rejected"] + totals["files_duplicate"]
    )
    assert totals["files_rejected"] == totals["rows_rejected"]
    assert record["rejections_by_reason"] == expected.rejections_by_reason
    lines = sum(len(f.invoice.lines) for f in expected.accepted.values())
    assert totals["lines_valid"] == lines
    assert record["validation"]["success"] is True
    assert set(record["validation"]["tables"]) == {"invoices", "invoice_lines"}
    assert set(record["timings"]) >= {"glue_job", "validate", "load_postgres", "run_record"}


def test_every_reason_and_whole_file_verdict_occurs(lake):
    records = [run_record(lake[0], "invoices", str(day)) for day in (DAY1, DAY2)]
    reasons = {f.get("reason") for r in records for f in r["files"]}
    assert reasons >= {
        "missing_field",
        "bad_date",
        "bad_amount",
        "total_mismatch",
        "no_items",
        "unparseable",
        "superseded",
        "duplicate_file",
    }


@pytest.mark.parametrize("day", [DAY1, DAY2])
def test_processed_tables_hold_the_accepted_invoices_and_their_lines(lake, oracle, day):
    root = lake[0]
    accepted = oracle.runs[day].accepted
    headers = parquet_rows(root / f"processed/invoices/run_date={day}")
    assert sorted(
        (h["invoice_number"], h["customer_id"], h["currency"], h["subtotal"], h["tax"], h["total"])
        for h in headers
    ) == sorted(
        (n, i.customer_id, i.currency, i.subtotal, i.tax, i.total)
        for n, i in ((n, f.invoice) for n, f in accepted.items())
    )
    assert {h["invoice_number"]: h["source_key"] for h in headers} == {
        n: f.key for n, f in accepted.items()
    }
    lines = parquet_rows(root / f"processed/invoice_lines/run_date={day}")
    assert sorted(
        (r["invoice_number"], r["line_number"], r["quantity"], r["unit_price"], r["amount"])
        for r in lines
    ) == sorted(
        (n, line.line_number, line.quantity, line.unit_price, line.amount)
        for n, f in accepted.items()
        for line in f.invoice.lines
    )


@pytest.mark.parametrize("day", [DAY1, DAY2])
def test_each_rejected_file_is_quarantined_whole_with_its_reason(lake, oracle, day):
    root = lake[0]
    rows = parquet_rows(root / f"quarantine/invoices/rows/run_date={day}")
    want = {k: f.reason for k, f in oracle.runs[day].files.items() if f.outcome == "rejected"}
    assert {r["source_key"]: r["reason"] for r in rows} == want
    assert len(rows) == len(want)
    copies = data_files(root / f"quarantine/invoices/files/run_date={day}")
    assert sorted(f"raw/invoices/{c}" for c in copies) == sorted(want)


@pytest.mark.parametrize("summary", SUMMARIES)
def test_summaries_match_an_independent_computation(lake, oracle, summary):
    got = parquet_rows(lake[0] / "enriched/invoices" / summary)
    want = oracle.summaries()[summary]
    first = next(iter(want[0]))
    assert sorted(got, key=lambda r: r[first]) == sorted(want, key=lambda r: r[first])


def test_csv_rendering_is_one_file_per_current_invoice(lake, oracle):
    root, *_, corrected = lake
    rendered = csv_files(root)
    assert set(rendered) == {f"invoice={n}" for n in oracle.latest}
    for number, (_, _, invoice) in oracle.latest.items():
        files = [p for p in (root / CSV / f"invoice={number}").iterdir() if p.suffix == ".csv"]
        assert len(files) == 1, number
        rows = rendered[f"invoice={number}"]
        assert [(r["invoice_number"], r["line_number"], r["amount"], r["total"]) for r in rows] == [
            (number, str(line.line_number), str(line.amount), str(invoice.total))
            for line in invoice.lines
        ]
    assert rendered[f"invoice={corrected}"][0]["customer_id"] == "C-9999"


def test_postgres_holds_the_latest_version_of_every_invoice(lake, oracle):
    rows = database(lake)
    assert [r[:11] for r in rows["invoices"]] == [
        (
            number,
            invoice.invoice_date,
            invoice.customer_id,
            invoice.customer_name,
            invoice.currency,
            invoice.subtotal,
            invoice.tax,
            invoice.total,
            len(invoice.lines),
            run_date,
            file_order,
        )
        for number, (run_date, file_order, invoice) in sorted(oracle.latest.items())
    ]
    assert [r[:7] for r in rows["invoice_lines"]] == [
        (
            number,
            line.line_number,
            line.sku,
            line.description,
            line.quantity,
            line.unit_price,
            line.amount,
        )
        for number, (_, _, invoice) in sorted(oracle.latest.items())
        for line in invoice.lines
    ]
    corrected = lake[3]
    assert oracle.latest[corrected][0] == DAY2
    assert next(r for r in rows["invoices"] if r[0] == corrected)[7] == Decimal("42.00")


# --- re-running the older date --------------------------------------------------------------


def test_rerun_of_the_older_date_changes_and_doubles_nothing(lake, oracle):
    root, airflow_home, env, _ = lake
    folders = ["processed/invoices", "processed/invoice_lines", "enriched/invoices"]
    folders += ["quarantine/invoices"]
    contents = {f: parquet_rows(root / f) for f in folders[:3]}
    files = {f: len(data_files(root / f)) for f in folders}  # part names change, counts not
    rendered, db = csv_files(root), database(lake)
    record = run_record(root, "invoices", str(DAY1))

    result = run(root, DAY1, airflow_home, env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    assert {f: parquet_rows(root / f) for f in folders[:3]} == contents
    assert {f: len(data_files(root / f)) for f in folders} == files
    assert csv_files(root) == rendered
    assert database(lake) == db  # same rows, same xmin and loaded_at: nothing rewritten
    again = run_record(root, "invoices", str(DAY1))
    assert again["files"] == record["files"] and again["totals"] == record["totals"]
    loaded = again["steps"]["load_postgres"]["counts"]
    assert loaded["invoices_inserted"] == loaded["invoices_updated"] == 0
    assert loaded["invoice_lines_inserted"] == loaded["invoice_lines_deleted"] == 0
    newer = [n for n in oracle.runs[DAY1].accepted if oracle.latest[n][0] == DAY2]
    assert newer and loaded["invoices_kept_newer"] == len(newer)
