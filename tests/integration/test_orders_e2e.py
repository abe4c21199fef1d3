"""End to end on the local target: the real DAG for two landing dates, checked against the
independent oracle (tests/oracle), then a re-run that must change and double nothing."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime

import pytest
from oracle.orders_oracle import simulate_runs

from pipeline.generate.orders import generate_orders

from .orders_lake import data_files, parquet_rows, pipeline_cli, run_record

pytestmark = pytest.mark.integration

DAY1, DAY2, EMPTY_DAY = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)
COUNTS = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")
SUMMARIES = ("sales_by_customer", "revenue_by_month", "status_summary", "average_order_value")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """Two landings: dirty rows, bad files, a re-landed copy of a day-1 file, a key with
    no date (lands by modification time) - then both dates run through the DAG."""
    root = tmp_path_factory.mktemp("e2e") / "lake"
    generate_orders(str(root), DAY1, rows=1200, files=3, seed=11, bad_files=2)
    day2_keys = generate_orders(str(root), DAY2, rows=900, files=2, seed=12, bad_files=1)
    day1_file = max((root / "raw/orders").glob(f"dt={DAY1}/*.csv"), key=lambda p: p.stat().st_size)
    copy = root / f"raw/orders/dt={DAY2}/resent_{day1_file.name}"
    shutil.copyfile(day1_file, copy)
    loose = root / "raw/orders/manual_upload.csv"
    loose.write_bytes((root / day2_keys[0]).read_bytes().replace(b"ORD-", b"MAN-"))
    noon = datetime(DAY2.year, DAY2.month, DAY2.day, 12, tzinfo=UTC).timestamp()
    for path in (copy, loose):
        os.utime(path, (noon + 3600, noon + 3600))
    airflow_home = tmp_path_factory.mktemp("airflow")
    for day in (DAY1, DAY2):
        result = pipeline_cli(
            "run", "orders", "--lake", str(root), "--date", str(day), airflow_home=airflow_home
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root, airflow_home


@pytest.fixture(scope="module")
def oracle(lake):
    root, _ = lake
    return simulate_runs(root, [DAY1, DAY2])


@pytest.mark.parametrize("day", [DAY1, DAY2])
def test_run_record_matches_the_oracle_file_by_file(lake, oracle, day):
    root, _ = lake
    record = run_record(root, "orders", str(day))
    expected = oracle.runs[day]
    assert record["status"] == "success"
    assert record["dataset"] == "orders" and record["logical_date"] == str(day)
    got = {f["key"]: f for f in record["files"]}
    assert set(got) == set(expected.files)
    for key, want in expected.files.items():
        assert {c: got[key][c] for c in COUNTS} == {c: getattr(want, c) for c in COUNTS}, key
        assert got[key].get("reason") == want.reason, key
        assert got[key]["rejections_by_reason"] == dict(want.rejections_by_reason), key
    assert {c: record["totals"][c] for c in COUNTS} == expected.totals
    assert record["rejections_by_reason"] == dict(expected.rejections_by_reason)
    assert set(record["timings"]) >= {"glue_job", "validate", "athena_summaries", "run_record"}


def test_every_rejection_reason_and_whole_file_verdict_occurs(lake):
    root, _ = lake
    record = run_record(root, "orders", str(DAY1))
    assert set(record["rejections_by_reason"]) == {
        "missing_field",
        "bad_date",
        "bad_status",
        "bad_quantity",
        "bad_price",
        "malformed_row",
    }
    day2 = run_record(root, "orders", str(DAY2))
    reasons = {f.get("reason") for f in record["files"] + day2["files"]}
    assert {"bad_file", "duplicate_file"} <= reasons


@pytest.mark.parametrize("day", [DAY1, DAY2])
def test_quarantine_holds_each_rejected_row_with_key_line_and_reason(lake, oracle, day):
    root, _ = lake
    rows = parquet_rows(root / f"quarantine/orders/rows/run_date={day}")
    got = sorted((r["source_key"], r["source_line"], r["reason"]) for r in rows)
    want = sorted((r.key, r.line, r.reason) for r in oracle.runs[day].rejections)
    assert got == want
    bad_files = [f for f, c in oracle.runs[day].files.items() if c.reason == "bad_file"]
    quarantined = data_files(root / f"quarantine/orders/files/run_date={day}")
    assert len(quarantined) == len(bad_files)


@pytest.mark.parametrize("summary", SUMMARIES)
def test_summaries_match_an_independent_computation(lake, oracle, summary):
    root, _ = lake
    got = parquet_rows(root / "enriched/orders" / summary)
    want = oracle.summaries[summary]
    first = next(iter(want[0]))
    assert sorted(got, key=lambda r: str(r[first])) == sorted(want, key=lambda r: str(r[first]))


def test_processed_rows_are_the_oracles_kept_orders(lake, oracle):
    root, _ = lake
    for day in (DAY1, DAY2):
        rows = parquet_rows(root / f"processed/orders/run_date={day}")
        assert sorted(r["order_id"] for r in rows) == sorted(oracle.runs[day].orders)


def test_rerun_of_a_date_changes_and_doubles_nothing(lake):
    root, airflow_home = lake
    folders = ["processed/orders", "quarantine/orders", "enriched/orders"]
    before = {f: parquet_rows(root / f) for f in folders if f != "quarantine/orders"}
    files_before = {f: len(data_files(root / f)) for f in folders}
    record_before = run_record(root, "orders", str(DAY1))
    result = pipeline_cli(
        "run", "orders", "--lake", str(root), "--date", str(DAY1), airflow_home=airflow_home
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert {f: parquet_rows(root / f) for f in before} == before
    assert {f: len(data_files(root / f)) for f in folders} == files_before
    record_after = run_record(root, "orders", str(DAY1))
    assert record_after["files"] == record_before["files"]
    assert record_after["totals"] == record_before["totals"]


def test_a_date_with_no_files_is_skipped_not_failed(lake):
    root, airflow_home = lake
    result = pipeline_cli(
        "run", "orders", "--lake", str(root), "--date", str(EMPTY_DAY), airflow_home=airflow_home
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert run_record(root, "orders", str(EMPTY_DAY))["status"] == "skipped"
    assert "SKIPPED" in result.stdout
