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

    from tests.integration.orders_lake import TEST_SHUFFLE_PARTITIONS, TEST_SPARK_MASTER

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = build_spark(
        "tests",
        {
            "spark.master": TEST_SPARK_MASTER,
            "spark.sql.shuffle.partitions": TEST_SHUFFLE_PARTITIONS,
            "spark.ui.enabled": "false",
            "spark.driver.memory": "2g",
        },
    )
    yield session
    gateway = session.sparkContext._gateway
    session.stop()
    # py4j's connections closed now: left to __del__ at exit, they log to pytest's
    # capture stream after it is closed ("--- Logging error ---" after the summary).
    gateway.shutdown()


@pytest.fixture(scope="session", autouse=True)
def shared_spark_runner():
    """One warm Spark runner for every ``pipeline`` command the suite runs.

    A user's command starts its own (``pipeline.spark_runner``); the suite runs dozens, so
    they share this one, started with the settings ``pipeline_cli`` gives them. Until it
    is up, and if it fails, the jobs fall back to a spark-submit each.
    """
    from pipeline.config import Settings
    from pipeline.spark_runner import RUNNER_ENV, warm_spark_runner
    from tests.integration.orders_lake import (
        SHARED_RUNNER_ENV,
        TEST_SHUFFLE_PARTITIONS,
        TEST_SPARK_MASTER,
    )

    settings = Settings(
        spark_master=TEST_SPARK_MASTER, spark_shuffle_partitions=TEST_SHUFFLE_PARTITIONS
    )
    with warm_spark_runner(settings) as path:
        os.environ.pop(RUNNER_ENV, None)  # in-process code keeps its own settings
        os.environ[SHARED_RUNNER_ENV] = path
        yield path
    os.environ.pop(SHARED_RUNNER_ENV, None)


@pytest.fixture
def lake_root(tmp_path: Path) -> Path:
    """An empty local lake folder."""
    root = tmp_path / "lake"
    root.mkdir()
    return root


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a throw-away PostgreSQL server for this test session (the product's own
    on-demand server, pipeline/local_postgres.py, in a temp folder)."""
    from pipeline.local_postgres import running_postgres

    with running_postgres() as url:
        yield url
