"""End to end on the local target: the real salaries DAG for two landing dates, checked
against the independent oracle (tests/oracle), then a re-run that must change and double
nothing. Three pipeline runs in all (each is a spark-submit of the job and of GX)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime

import pytest
from oracle.salaries_oracle import ROW_REASONS, SUMMARY_NAMES, simulate_runs

from pipeline.generate.salaries import generate_salaries

from .orders_lake import data_files, parquet_rows, pipeline_cli, run_record

pytestmark = pytest.mark.integration

DATASET = "salaries"
DAY1, DAY2 = date(2024, 3, 1), date(2024, 3, 2)
SEED = 21  # one seed for both landings: the same staff, so day 2 updates day 1's employees
COUNTS = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")
PROCESSED_FIELDS = ("name", "department", "country", "salary", "currency", "as_of_date")


def run(root, day, airflow_home):
    result = pipeline_cli(
        "run", DATASET, "--lake", str(root), "--date", str(day), airflow_home=airflow_home
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """Day 1 from the generator's API (3 files: one without currency; 2 bad files); day 2
    from `pipeline generate` (4 files: one without as_of_date; 1 bad file) plus a copy of
    a day-1 file re-landed; then both dates run through the DAG."""
    root = tmp_path_factory.mktemp("e2e") / "lake"
    generate_salaries(str(root), DAY1, rows=600, files=3, seed=SEED, bad_files=2)
    airflow_home = tmp_path_factory.mktemp("airflow")
    generated = pipeline_cli(
        *("generate", DATASET, "--lake", str(root), "--date", str(DAY2)),
        *("--rows", "400", "--files", "4", "--seed", str(SEED), "--bad-files", "1"),
        airflow_home=airflow_home,
    )
    assert generated.returncode == 0, generated.stderr[-3000:]
    day1_file = root / f"raw/{DATASET}/dt={DAY1}/hr_export_1.csv"
    copy = root / f"raw/{DATASET}/dt={DAY2}/resent_{day1_file.name}"
    shutil.copyfile(day1_file, copy)
    noon = datetime(DAY2.year, DAY2.month, DAY2.day, 12, tzinfo=UTC).timestamp()
    os.utime(copy, (noon + 3600, noon + 3600))
    for day in (DAY1, DAY2):
        run(root, day, airflow_home)
    return root, airflow_home


@pytest.fixture(scope="module")
def oracle(lake):
    root, _ = lake
    return simulate_runs(root, [DAY1, DAY2])


@pytest.mark.parametrize("day", [DAY1, DAY2])
def test_run_record_matches_the_oracle_file_by_file(lake, oracle, day):
    root, _ = lake
    record = run_record(root, DATASET, str(day))
    expected = oracle.runs[day]
    assert record["status"] == "success"
    assert record["dataset"] == DATASET and record["logical_date"] == str(day)
    got = {f["key"]: f for f in record["files"]}
    assert set(got) == set(expected.files)
    for key, want in expected.files.items():
        assert {c: got[key][c] for c in COUNTS} == {c: getattr(want, c) for c in COUNTS}, key
        assert got[key].get("reason") == want.reason, key
        assert got[key]["rejections_by_reason"] == dict(want.rejections_by_reason), key
    assert {c: record["totals"][c] for c in COUNTS} == expected.totals
    assert record["rejections_by_reason"] == expected.rejections_by_reason


def test_every_reason_and_whole_file_verdict_occurs(lake, oracle):
    root, _ = lake
    records = [run_record(root, DATASET, str(day)) for day in (DAY1, DAY2)]
    assert set(records[0]["rejections_by_reason"]) == set(ROW_REASONS)
    verdicts = {f.get("reason") for record in records for f in record["files"]}
    assert {"bad_file", "duplicate_file"} <= verdicts
    assert oracle.runs[DAY2].totals["rows_duplicate"] > 0


@pytest.mark.parametrize("day", [DAY1, DAY2])
def test_quarantine_and_processed_rows_are_the_oracles(lake, oracle, day):
    root, _ = lake
    rejected = parquet_rows(root / f"quarantine/{DATASET}/rows/run_date={day}")
    assert sorted((r["source_key"], r["source_line"], r["reason"]) for r in rejected) == sorted(
        (r.key, r.line, r.reason) for r in oracle.runs[day].rejections
    )
    kept = {r["employee_id"]: r for r in parquet_rows(root / f"processed/{DATASET}/run_date={day}")}
    expected = oracle.runs[day].salaries
    assert set(kept) == set(expected)
    for employee_id, salary in expected.items():
        got = {name: kept[employee_id][name] for name in PROCESSED_FIELDS}
        assert got == {name: getattr(salary, name) for name in PROCESSED_FIELDS}, employee_id


@pytest.mark.parametrize("summary", SUMMARY_NAMES)
def test_summaries_match_an_independent_computation(lake, oracle, summary):
    root, _ = lake
    got = parquet_rows(root / f"enriched/{DATASET}" / summary)
    want = oracle.summaries[summary]
    order = ("country", "currency") if summary == "salary_by_country" else ("country",)
    assert sorted(got, key=lambda r: [r[k] for k in order]) == want


def test_indians_paid_in_dollars_are_outside_india_vs_us(oracle):
    by_country = oracle.summaries["salary_by_country"]
    in_dollars = [r for r in by_country if (r["country"], r["currency"]) == ("IN", "USD")]
    in_rupees = [r for r in by_country if (r["country"], r["currency"]) == ("IN", "INR")]
    india = oracle.summaries["india_vs_us"][0]
    assert in_dollars and india["headcount"] == in_rupees[0]["headcount"]


def test_latest_versions_span_both_runs(lake, oracle):
    updated = [
        e
        for e in oracle.runs[DAY1].salaries
        if oracle.latest[e] is oracle.runs[DAY2].salaries.get(e)
    ]
    assert updated  # day 2 carries newer versions of day-1 employees


def test_rerun_of_a_date_changes_and_doubles_nothing(lake):
    root, airflow_home = lake
    folders = [f"processed/{DATASET}", f"quarantine/{DATASET}", f"enriched/{DATASET}"]
    before = {f: parquet_rows(root / f) for f in folders if not f.startswith("quarantine")}
    files_before = {f: len(data_files(root / f)) for f in folders}
    record_before = run_record(root, DATASET, str(DAY1))

    run(root, DAY1, airflow_home)

    assert {f: parquet_rows(root / f) for f in before} == before
    assert {f: len(data_files(root / f)) for f in folders} == files_before
    record_after = run_record(root, DATASET, str(DAY1))
    assert record_after["files"] == record_before["files"]
    assert record_after["totals"] == record_before["totals"]
