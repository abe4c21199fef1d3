"""Helpers for end-to-end tests: run the real ``pipeline`` CLI and read what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as pads

REPO = Path(__file__).resolve().parents[2]

SHARED_RUNNER_ENV = "TESTS_SPARK_RUNNER"  # set by tests/conftest.py
# Spark settings of every Spark the suite starts: its session, its runner, its commands.
TEST_SPARK_MASTER = "local[2]"
TEST_SHUFFLE_PARTITIONS = "4"


def pipeline_cli(
    *args: str, airflow_home: Path, timeout: int = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``pipeline`` as a user would, with its own Airflow home (SQLite metadata DB);
    ``env`` adds settings (e.g. ``PIPELINE_INVOICES_DB_URL``)."""
    settings = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPELINE_"))},
        "AIRFLOW_HOME": str(airflow_home),
        "PIPELINE_SKIP_AIRFLOW_VARIABLES": "1",
        "PIPELINE_SPARK_MASTER": TEST_SPARK_MASTER,
        "PIPELINE_SPARK_SHUFFLE_PARTITIONS": TEST_SHUFFLE_PARTITIONS,
        # the suite's warm Spark runner (tests/conftest.py), started with the same settings
        "PIPELINE_SPARK_RUNNER": os.environ.get(SHARED_RUNNER_ENV, ""),
        **(env or {}),
    }
    command = [sys.executable, "-m", "pipeline.cli", *args]
    return subprocess.run(
        command, env=settings, capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


def orders_job_submit(lake: Path, day: str) -> tuple[list[str], dict[str, str]]:
    """(command, environment) of the real orders job through spark-submit on the run's
    manifest, with the suite's Spark settings (so file counts compare with the CLI's)."""
    command = [
        str(REPO / ".venv/bin/spark-submit"),
        "--master",
        TEST_SPARK_MASTER,
        "--conf",
        f"spark.sql.shuffle.partitions={TEST_SHUFFLE_PARTITIONS}",
        str(REPO / "glue_jobs/orders_job.py"),
        "--dataset",
        "orders",
        "--lake_root",
        str(lake),
        "--run_date",
        day,
        "--manifest",
        str(lake / f"_runs/orders/{day}/manifest.json"),
    ]
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_CONF_DIR": str(REPO / "glue_jobs/local-spark-conf"),
    }
    return command, env


def run_record(lake: Path, dataset: str, day: str) -> dict:
    return json.loads((lake / "_runs" / dataset / day / "run.json").read_text())


def parquet_rows(folder: Path) -> list[dict]:
    """Every row of a Parquet folder, in a stable order (for content comparisons)."""
    if not folder.exists():
        return []
    table = pads.dataset(folder, format="parquet", exclude_invalid_files=True).to_table()
    return sorted(table.to_pylist(), key=lambda row: json.dumps(row, sort_keys=True, default=str))


def data_files(folder: Path) -> list[str]:
    """Data file paths under a folder (to catch leftovers and doubled output).

    Like Spark, Hive and the crawler, skips any path with a hidden component
    (``.spark-staging-*`` of a killed attempt, ``_temporary``, ``.crc`` files).
    """
    relative = (p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    return sorted(
        str(path)
        for path in relative
        if not any(part.startswith((".", "_")) for part in path.parts)
    )
