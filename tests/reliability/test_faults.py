"""Faults: every later step fails once and the retry recovers with output identical to a
clean run; a Spark job killed mid-write is re-run into exactly the clean output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import date

import pytest

from pipeline.generate.orders import generate_orders
from tests.integration.orders_lake import (
    data_files,
    orders_job_submit,
    parquet_rows,
    pipeline_cli,
    run_record,
)

pytestmark = pytest.mark.integration
DAY = date(2024, 6, 1)
FAULTY_STEPS = ("trigger_lambda", "glue_job", "validate", "crawl", "athena_summaries", "run_record")
OUTPUTS = ("processed/orders", "quarantine/orders/rows", "enriched/orders")


def snapshot(lake) -> dict:
    return {
        "rows": {f: parquet_rows(lake / f) for f in OUTPUTS},
        "files": {f: len(data_files(lake / f)) for f in OUTPUTS},
        "record": {
            k: run_record(lake, "orders", str(DAY))[k] for k in ("files", "totals", "status")
        },
    }


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("faults")
    lake = base / "lake"
    generate_orders(str(lake), DAY, rows=400, files=2, seed=41, bad_files=1)
    faults = {
        "PIPELINE_INJECT_FAULTS": ",".join(FAULTY_STEPS),
        "PIPELINE_TASK_RETRIES": "1",
        "PIPELINE_RETRY_DELAY_SECONDS": "1",
    }
    result = pipeline_cli(
        "run",
        "orders",
        "--lake",
        str(lake),
        "--date",
        str(DAY),
        airflow_home=base / "af",
        env=faults,
    )
    return lake, base, result


def test_each_step_failing_once_is_retried_and_the_record_says_so(faulty_run):
    lake, _base, result = faulty_run
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    record = run_record(lake, "orders", str(DAY))
    assert record["status"] == "success"
    for step in FAULTY_STEPS[:-1]:
        attempts = record["steps"][step].get("earlier_attempts", [])
        assert attempts and "fault injected" in attempts[0]["error"], step
        assert record["steps"][step]["status"] == "success", step


def test_output_after_retries_is_identical_to_a_clean_run(faulty_run):
    lake, base, _ = faulty_run
    after_faults = snapshot(lake)
    clean = pipeline_cli(
        "run", "orders", "--lake", str(lake), "--date", str(DAY), airflow_home=base / "af"
    )
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]
    assert snapshot(lake) == after_faults


def test_a_job_killed_mid_write_is_rerun_into_the_clean_output(faulty_run):
    lake, _base, _ = faulty_run
    clean = snapshot(lake)
    command, env = orders_job_submit(lake, str(DAY))
    partition = lake / f"processed/orders/run_date={DAY}"
    job = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    table = lake / "processed/orders"
    deadline = time.monotonic() + 300
    # Dynamic partition overwrite: Spark's committer writes under the table's
    # .spark-staging-<job>/ and only then swaps the run_date partition in.
    while time.monotonic() < deadline and not list(table.glob(".spark-staging-*")):
        assert job.poll() is None, "the job finished before it could be killed"
        time.sleep(0.05)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    staged = sorted(table.glob(".spark-staging-*"))
    assert staged, "the job was killed while Spark's committer was writing"
    # A stale part of the killed attempt must not leak into the rerun's partition.
    stale = staged[0] / f"run_date={DAY}"
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "part-99999.snappy.parquet").write_bytes(b"not parquet")

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert not (partition / "part-99999.snappy.parquet").exists()
    assert {f: parquet_rows(lake / f) for f in OUTPUTS[:2]} == {
        f: clean["rows"][f] for f in OUTPUTS[:2]
    }
    assert {f: len(data_files(lake / f)) for f in OUTPUTS[:2]} == {
        f: clean["files"][f] for f in OUTPUTS[:2]
    }
    counts = json.loads((lake / f"_runs/orders/{DAY}/job_counts.json").read_text())
    counted = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")
    assert {k: counts["totals"][k] for k in counted} == {
        k: clean["record"]["totals"][k] for k in counted
    }
