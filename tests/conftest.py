"""Fixtures shared by the whole suite: one local SparkSession, temp lakes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("PIPELINE_SKIP_AIRFLOW_VARIABLES", "1")


@pytest.fixture(scope="session")
def spark():
    """The one SparkSession for every Spark test (start-up costs seconds, so share it)."""
    from glue_lib.session import build_spark

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = build_spark(
        "tests",
        {
            "spark.master": "local[2]",
            "spark.sql.shuffle.partitions": "4",
            "spark.ui.enabled": "false",
            "spark.driver.memory": "2g",
        },
    )
    yield session
    session.stop()


@pytest.fixture
def lake_root(tmp_path: Path) -> Path:
    """An empty local lake folder."""
    root = tmp_path / "lake"
    root.mkdir()
    return root


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a real PostgreSQL server for this test session (see tests/pg_server.py)."""
    from pg_server import running_postgres

    with running_postgres() as url:
        yield url
