"""Every DAG file imports cleanly (no errors, no warnings) and is operable in the UI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STEP_IDS = (
    "sense_new_files",
    "trigger_lambda",
    "glue_job",
    "validate",
    "crawl",
    "athena_summaries",
)

LOAD = """
import json, sys, warnings
warnings.simplefilter("error")
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "owner": sorted({t.owner for t in dag.tasks}), "tags": sorted(dag.tags),
        "doc_md": dag.doc_md,
        "max_active_runs": dag.max_active_runs, "catchup": dag.catchup,
        "tasks": {t.task_id: {"doc_md": t.doc_md, "retries": t.retries,
                              "backoff": t.retry_exponential_backoff,
                              "timeout": t.execution_timeout
                              and t.execution_timeout.total_seconds(),
                              "on_failure": bool(t.on_failure_callback),
                              "across_runs": t.max_active_tis_per_dag} for t in dag.tasks},
    }
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def dag_bag(tmp_path_factory):
    """Load the DagBag in a fresh process (warnings are errors there) with its own AIRFLOW_HOME."""
    import json

    env = {
        "PATH": "/usr/bin:/bin",
        "AIRFLOW_HOME": str(tmp_path_factory.mktemp("airflow")),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PIPELINE_SKIP_AIRFLOW_VARIABLES": "1",
        "PIPELINE_TASK_RETRIES": "2",
    }
    result = subprocess.run(
        [sys.executable, "-c", LOAD, str(REPO / "dags")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_import_errors(dag_bag):
    assert dag_bag["errors"] == {}
    assert "orders_pipeline" in dag_bag["dags"]


def test_dags_have_owner_tags_docs_and_bounded_concurrency(dag_bag):
    for dag_id, dag in dag_bag["dags"].items():
        assert dag["owner"] == ["data-platform"], dag_id
        assert "glue-pipeline" in dag["tags"], dag_id
        assert dag["doc_md"] and len(dag["doc_md"]) > 100, dag_id
        assert dag["max_active_runs"] == 1 and dag["catchup"] is False, dag_id
        # A backfill runs several dates at once: the shared enriched/ summaries, one at a time.
        assert dag["tasks"]["athena_summaries"]["across_runs"] == 1, dag_id
        assert dag["tasks"]["glue_job"]["across_runs"] == 1, dag_id  # aggregates rebuilt whole


def test_every_task_has_docs_retries_with_backoff_timeout_and_failure_callback(dag_bag):
    for dag_id, dag in dag_bag["dags"].items():
        assert set(STEP_IDS) <= set(dag["tasks"]), dag_id
        for task_id, task in dag["tasks"].items():
            assert task["doc_md"], (dag_id, task_id)
            assert task["retries"] == 2 and task["backoff"], (dag_id, task_id)
            assert task["timeout"] and task["timeout"] > 0, (dag_id, task_id)
            assert task["on_failure"], (dag_id, task_id)
