"""The Airflow experience on the local target, in the order of the README (`make demo`, then
`make airflow`): `pipeline run` registers the DAGs in the metadata DB, standalone serves
them unpaused with that run listed, `airflow backfill create`, then `pipeline backfill` over
the same range (must change nothing), a clean shutdown, and a DAG paused in the UI stays
paused."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from datetime import date

import pytest

from pipeline.generate.orders import generate_orders

from .orders_lake import (
    REPO,
    TEST_SHUFFLE_PARTITIONS,
    TEST_SPARK_MASTER,
    data_files,
    parquet_rows,
    pipeline_cli,
    run_record,
)

pytestmark = pytest.mark.integration
D1, D2, D3 = date(2024, 4, 1), date(2024, 4, 2), date(2024, 4, 3)  # D2 has no files
D0 = date(2024, 3, 31)  # no files either: the `pipeline run` before standalone (skipped, quick)
DAG_IDS = ("orders_pipeline", "salaries_pipeline", "invoices_pipeline")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(
    port: int, path: str, token: str | None = None, body: dict | None = None, method: str = ""
) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method or ("POST" if body else "GET")
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = json.dumps(body).encode() if body else None
    with urllib.request.urlopen(request, data=data, timeout=10) as response:
        return json.loads(response.read())


def dag_runs(port: int, token: str, dataset: str) -> list[dict]:
    return api(port, f"/api/v2/dags/{dataset}_pipeline/dagRuns", token)["dag_runs"]


def dags_paused(home) -> dict[str, bool]:
    """``is_paused`` of each DAG row in the metadata DB of an Airflow home."""
    with sqlite3.connect(home / "airflow.db") as db:
        return {
            dag_id: bool(paused)
            for dag_id, paused in db.execute("SELECT dag_id, is_paused FROM dag")
        }


def pipeline_run_d0(lake, home):
    """`pipeline run` for D0 with the standalone's Airflow home (as `make demo` with .airflow/)."""
    result = pipeline_cli(
        "run", "orders", "--lake", str(lake), "--date", str(D0), airflow_home=home
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except OSError:
            pass
        time.sleep(3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    lake = tmp_path_factory.mktemp("af") / "lake"
    generate_orders(str(lake), D1, rows=300, files=2, seed=21, bad_files=1)
    generate_orders(str(lake), D3, rows=300, files=2, seed=23)
    home = tmp_path_factory.mktemp("airflow_home")
    # `make demo` before `make airflow`: the command creates the metadata DB and its
    # dag.test registers every DAG of dags/ in it, before standalone has seen any
    pipeline_run_d0(lake, home)
    registered_by_cli = dags_paused(home)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPELINE_"))},
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_PORT": str(port),
        "PIPELINE_LAKE_ROOT": str(lake),
        "PIPELINE_EVENT_DRIVEN": "false",
        "PIPELINE_TASK_RETRIES": "0",
        "PIPELINE_SPARK_MASTER": TEST_SPARK_MASTER,
        "PIPELINE_SPARK_SHUFFLE_PARTITIONS": TEST_SHUFFLE_PARTITIONS,  # as pipeline_cli
        "PIPELINE_SKIP_AIRFLOW_VARIABLES": "1",
    }
    log = (home / "standalone.log").open("w")
    process = subprocess.Popen(
        [str(REPO / "scripts/airflow.sh")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=REPO,
    )
    try:
        wait_for(lambda: api(port, "/api/v2/monitor/health"), 180, "the api-server")
        token = api(port, "/auth/token", body={"username": "admin", "password": "admin"})[
            "access_token"
        ]
        wait_for(lambda: api(port, "/api/v2/dags", token)["total_entries"] >= 1, 120, "DAG parsing")
        yield {
            "port": port,
            "token": token,
            "env": env,
            "lake": lake,
            "home": home,
            "process": process,
            "registered_by_cli": registered_by_cli,
        }
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=180)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_dags_registered_by_pipeline_run_are_served_unpaused(airflow):
    # issue 20: `pipeline run` created the rows (so standalone's DAGS_ARE_PAUSED_AT_CREATION
    # never applied to them), unpaused as standalone would have
    assert airflow["registered_by_cli"] == dict.fromkeys(DAG_IDS, False)
    port, token = airflow["port"], airflow["token"]
    dags = api(port, "/api/v2/dags", token)["dags"]
    assert {dag["dag_id"]: dag["is_paused"] for dag in dags} == dict.fromkeys(DAG_IDS, False)
    runs = dag_runs(port, token, "orders")
    assert [(r["run_type"], r["state"]) for r in runs if r["logical_date"][:10] == str(D0)] == [
        ("manual", "success")
    ]


def test_ui_lists_the_dag_with_docs_owner_tags_and_no_import_errors(airflow):
    port, token = airflow["port"], airflow["token"]
    assert api(port, "/api/v2/importErrors", token)["total_entries"] == 0
    dag = api(port, "/api/v2/dags/orders_pipeline/details", token)
    assert dag["owners"] == ["data-platform"]
    assert {"orders", "local"} <= {tag["name"] for tag in dag["tags"]}
    assert "Orders pipeline" in dag["doc_md"] and dag["max_active_runs"] == 1
    tasks = api(port, "/api/v2/dags/orders_pipeline/tasks", token)["tasks"]
    assert {t["task_id"] for t in tasks} >= {"sense_new_files", "glue_job", "run_record"}
    assert all(t["doc_md"] for t in tasks)


def test_airflow_backfill_processes_each_date_once(airflow):
    port, token, env = airflow["port"], airflow["token"], airflow["env"]
    command = [
        str(REPO / "scripts/airflow.sh"),
        "backfill",
        "create",
        "--dag-id",
        "orders_pipeline",
    ]
    command += ["--from-date", str(D1), "--to-date", str(D3)]

    first_look = time.monotonic()

    def quiet():
        # The unpaused DAGs each start a scheduled run for the latest day when standalone
        # comes up. SQLite takes one writer at a time and can refuse a lock upgrade outright
        # ("database is locked") while those runs write, so the backfill waits for them
        # (for them to appear, up to a minute, then to finish). The fixture's `pipeline run`
        # left a manual run of orders: not one of those.
        per_dag = [dag_runs(port, token, d) for d in ("orders", "salaries", "invoices")]
        scheduled = [[r for r in runs if r["run_type"] != "manual"] for runs in per_dag]
        if not all(scheduled) and time.monotonic() - first_look < 60:
            return None
        runs = [r for runs in per_dag for r in runs]
        return all(r["state"] not in ("queued", "running") for r in runs) or None

    for _attempt in range(3):
        wait_for(quiet, 300, "the scheduled runs started with standalone")
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        if result.returncode == 0 or "database is locked" not in result.stdout + result.stderr:
            break
        # SQLite can still refuse the command a write lock while the scheduler writes. The
        # backfill it had committed is left without runs (Airflow cleans up after lock
        # errors of PostgreSQL and MySQL only) and would block a new one: cancel, retry.
        backfills = api(port, "/api/v2/backfills?dag_id=orders_pipeline", token)["backfills"]
        for backfill in backfills:
            if backfill["completed_at"] is None:
                api(port, f"/api/v2/backfills/{backfill['id']}/cancel", token, method="PUT")
    assert result.returncode == 0, result.stdout + result.stderr

    def finished():
        runs = api(port, "/api/v2/dags/orders_pipeline/dagRuns", token)["dag_runs"]
        runs = [r for r in runs if r["run_type"] == "backfill"]
        done = [r for r in runs if r["state"] in ("success", "failed")]
        return runs if len(runs) == 3 and len(done) == 3 else None

    runs = wait_for(finished, 900, "three backfill runs")
    records = {d: run_record(airflow["lake"], "orders", str(d)) for d in (D1, D2, D3)}
    assert {r["state"] for r in runs} == {"success"}, {
        d: r.get("error") for d, r in records.items()
    }
    lake = airflow["lake"]
    assert run_record(lake, "orders", str(D1))["status"] == "success"
    assert run_record(lake, "orders", str(D2))["status"] == "skipped"
    assert run_record(lake, "orders", str(D3))["status"] == "success"


def test_pipeline_backfill_over_the_same_range_changes_nothing(airflow):
    lake = airflow["lake"]
    before = {f: parquet_rows(lake / f) for f in ("processed/orders", "enriched/orders")}
    files_before = {f: len(data_files(lake / f)) for f in before}
    records = {d: run_record(lake, "orders", str(d))["files"] for d in (D1, D3)}
    result = pipeline_cli(
        "backfill",
        "orders",
        "--lake",
        str(lake),
        "--from",
        str(D1),
        "--to",
        str(D3),
        airflow_home=airflow["home"] / "cli",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "backfill: 2024-04-01 success, 2024-04-02 skipped, 2024-04-03 success" in result.stdout
    assert {f: parquet_rows(lake / f) for f in before} == before
    assert {f: len(data_files(lake / f)) for f in before} == files_before
    assert {d: run_record(lake, "orders", str(d))["files"] for d in (D1, D3)} == records


def test_pausing_a_dag_in_the_ui(airflow):
    port, token = airflow["port"], airflow["token"]
    body = {"is_paused": True}
    api(port, "/api/v2/dags/salaries_pipeline", token, body=body, method="PATCH")
    assert api(port, "/api/v2/dags/salaries_pipeline", token)["is_paused"] is True


def test_standalone_shuts_down_cleanly(airflow):
    process, port = airflow["process"], airflow["port"]
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=180)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "api-server still listening"


def test_the_pause_survives_the_next_pipeline_run(airflow):
    # `make demo` again after `make airflow`: its dag.test syncs every DAG to the DB as the
    # dag-processor of the next standalone does, and neither unpauses the user's pause
    pipeline_run_d0(airflow["lake"], airflow["home"])
    assert dags_paused(airflow["home"]) == {
        **dict.fromkeys(DAG_IDS, False),
        "salaries_pipeline": True,
    }
