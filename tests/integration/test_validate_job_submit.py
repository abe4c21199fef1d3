"""``validate_job.py`` under a real ``spark-submit``: a passing and a failing run.

Both runs are started together (each pays JVM start-up plus the Great Expectations import)
and checked by separate tests; each has its own lake so their outputs cannot mix. The input
partition is written with pyarrow, so this file needs no SparkSession of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
JOB = REPO / "glue_jobs" / "validate_job.py"
SUITE = REPO / "expectations" / "orders.json"
RUN_DATE = "2024-03-01"
ROWS = 3


def processed_schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("order_id", pa.string()),
            ("customer_id", pa.string()),
            ("order_date", pa.date32()),
            ("status", pa.string()),
            ("quantity", pa.int32()),
            ("unit_price", pa.decimal128(12, 2)),
            ("country", pa.string()),
            ("updated_at", pa.timestamp("us", tz="UTC")),
            ("amount", pa.decimal128(14, 2)),
            ("order_month", pa.string()),
            ("source_key", pa.string()),
            ("source_line", pa.int32()),
        ]
    )


@dataclass(frozen=True)
class JobRun:
    lake: Path
    returncode: int
    stdout: str  # spark-submit relays the Python driver's stdout *and* stderr here
    stderr: str  # the JVM's log4j output

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def validation(self) -> dict:
        path = self.lake / "_runs" / "orders" / RUN_DATE / "validation.json"
        return json.loads(path.read_text())


def write_partition(lake: Path) -> None:
    """A small, valid processed partition (Parquet, the processed orders schema)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {
            "order_id": f"O{n}",
            "customer_id": f"C{n}",
            "order_date": date(2024, 3, 1),
            "status": "shipped",
            "quantity": n + 1,
            "unit_price": Decimal("2.50"),
            "country": "DE" if n else "UNKNOWN",
            "updated_at": None,
            "amount": Decimal("2.50") * (n + 1),
            "order_month": "2024-03",
            "source_key": "raw/orders/2024-03-01/orders.csv",
            "source_line": n + 2,
        }
        for n in range(ROWS)
    ]
    partition = lake / "processed" / "orders" / f"run_date={RUN_DATE}"
    partition.mkdir(parents=True)
    table = pa.Table.from_pylist(rows, schema=processed_schema())
    pq.write_table(table, partition / "part-00000.snappy.parquet", compression="snappy")


def start(lake: Path, expected_rows: int, workdir: Path) -> subprocess.Popen:
    python = str(VENV_BIN / "python")
    command = [
        str(VENV_BIN / "spark-submit"),
        "--master",
        "local[2]",
        "--driver-memory",
        "1g",
        "--conf",
        "spark.sql.shuffle.partitions=4",
        # a short-lived JVM on tiny data: skip C2 compilation and G1 set-up (about -30% CPU)
        "--driver-java-options",
        "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
        str(JOB),
        "--JOB_NAME",
        "validate_orders",  # Glue adds this; the job must ignore it
        "--dataset",
        "orders",
        "--table",
        "orders",
        "--lake_root",
        str(lake),
        "--run_date",
        RUN_DATE,
        "--suite_uri",
        str(SUITE),
        "--expected_rows",
        str(expected_rows),
    ]
    env = {
        **os.environ,
        "PYSPARK_PYTHON": python,
        "PYSPARK_DRIVER_PYTHON": python,
        # the pipeline's local Spark defaults: quiet log4j, no UI
        "SPARK_CONF_DIR": str(REPO / "glue_jobs" / "local-spark-conf"),
    }
    # output to files, not pipes: two concurrent jobs must never block on a full pipe
    with (workdir / "stdout.log").open("w") as out, (workdir / "stderr.log").open("w") as err:
        return subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=err)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, JobRun]:
    if not (VENV_BIN / "spark-submit").exists():
        pytest.skip("no spark-submit in .venv")
    root = tmp_path_factory.mktemp("validate_job")
    plans = {"passing": ROWS, "wrong_count": ROWS + 2}
    started = {}
    for name, expected_rows in plans.items():
        lake = root / name / "lake"
        write_partition(lake)
        started[name] = (lake, start(lake, expected_rows, lake.parent))
    results = {}
    for name, (lake, process) in started.items():
        try:
            process.wait(timeout=240)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        workdir = lake.parent
        stdout = (workdir / "stdout.log").read_text()
        stderr = (workdir / "stderr.log").read_text()
        results[name] = JobRun(lake, process.returncode, stdout, stderr)
    return results


def test_passing_run_writes_summary_and_data_docs(runs):
    run = runs["passing"]
    assert run.returncode == 0, run.output[-3000:]

    validation = run.validation()
    assert validation["success"] is True
    assert validation["suite_name"] == "orders"
    assert validation["statistics"]["evaluated_expectations"] == 20
    assert validation["statistics"]["unsuccessful_expectations"] == 0
    assert validation["failed_expectations"] == []
    assert validation["expected_rows"] == ROWS
    assert validation["partition_uri"] == f"{run.lake}/processed/orders/run_date={RUN_DATE}"
    docs = run.lake / "data_docs"
    assert validation["data_docs"] == f"{docs}/index.html"
    assert (docs / "index.html").is_file()
    assert (docs / "expectations" / "orders.html").is_file()
    assert Path(validation["data_docs_page"]).is_file()
    assert Path(validation["data_docs_page"]).is_relative_to(docs / "validations" / "orders")
    assert "suite 'orders' PASSED: 20 of 20 expectations met" in run.stdout
    assert not (run.lake.parent / "gx").exists()


def test_wrong_expected_rows_fails_with_one_readable_line(runs):
    run = runs["wrong_count"]
    assert run.returncode != 0
    assert "Traceback" not in run.output

    verdicts = [line for line in run.output.splitlines() if line.startswith("validation failed")]
    assert len(verdicts) == 1, run.output[-3000:]
    assert verdicts[0].startswith(f"validation failed for orders {RUN_DATE}: suite 'orders'")
    assert "expect_table_row_count_to_equal[table]" in verdicts[0]
    assert (
        f"FAILED expect_table_row_count_to_equal [table]: observed {ROWS}; "
        f"expected value={ROWS + 2}" in run.stdout
    )

    validation = run.validation()
    assert validation["success"] is False
    assert validation["statistics"]["unsuccessful_expectations"] == 1
    [failure] = validation["failed_expectations"]
    assert failure["type"] == "expect_table_row_count_to_equal"
    assert failure["column"] is None
    assert failure["kwargs"] == {"value": ROWS + 2}
    assert failure["observed"] == ROWS
    assert (run.lake / "data_docs" / "index.html").is_file()  # docs are published on failure too
