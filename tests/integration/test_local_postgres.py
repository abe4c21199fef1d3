"""PostgreSQL on demand: ``pipeline run invoices`` succeeds with no database configured;
the cluster keeps its data between commands and the last command using it stops it."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date
from pathlib import Path

import psycopg
import pytest

from pipeline.generate.invoices import generate_invoices
from pipeline.local_postgres import Cluster, running_postgres
from tests.integration.orders_lake import pipeline_cli

pytestmark = pytest.mark.integration
DAY = date(2024, 6, 1)


@pytest.fixture
def data_dir():
    """Under /tmp itself: as root the server runs as ``nobody``, who must reach it."""
    folder = Path(tempfile.mkdtemp(prefix="pg_on_demand_", dir="/tmp"))
    folder.chmod(0o755)
    yield folder / "postgres"
    shutil.rmtree(folder, ignore_errors=True)


def is_up(base: Path) -> bool:
    return Cluster(base, durable=True).running_port() is not None


def test_data_is_kept_and_the_last_user_stops_the_server(data_dir):
    with running_postgres("pipeline", data_dir) as url:
        with psycopg.connect(url) as connection:
            connection.execute("CREATE TABLE kept (n int)")
            connection.execute("INSERT INTO kept VALUES (7)")
        with running_postgres("pipeline", data_dir) as second:  # a command beside it
            assert second == url
        assert is_up(data_dir)  # the first one still uses it
    assert not is_up(data_dir)
    with running_postgres("pipeline", data_dir) as url, psycopg.connect(url) as connection:
        assert connection.execute("SELECT n FROM kept").fetchall() == [(7,)]
    assert not is_up(data_dir)


def test_pipeline_run_invoices_needs_no_database_configured(tmp_path, data_dir):
    lake = tmp_path / "lake"
    generate_invoices(str(lake), DAY, rows=12, files=12, seed=3, bad_files=1)
    result = pipeline_cli(
        "run",
        "invoices",
        "--lake",
        str(lake),
        "--date",
        str(DAY),
        airflow_home=tmp_path / "af",
        env={"PIPELINE_POSTGRES_DATA_DIR": str(data_dir)},  # and no PIPELINE_INVOICES_DB_URL
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    record = json.loads((lake / f"_runs/invoices/{DAY}/run.json").read_text())
    assert record["status"] == "success"
    loaded = record["steps"]["load_postgres"]
    assert "127.0.0.1" in loaded["database"]
    assert not is_up(data_dir)  # stopped with the command
    with running_postgres("pipeline", data_dir) as url, psycopg.connect(url) as connection:
        stored = connection.execute("SELECT count(*) FROM invoices").fetchone()[0]
    assert stored == record["totals"]["rows_valid"] > 0
