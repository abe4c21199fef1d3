"""The local Airflow's settings (pipeline/orchestration/local_airflow.py) reach both entry
points: ``pipeline run`` (prepare_local_airflow) and ``scripts/airflow.sh`` (standalone).

The order `pipeline run`, then standalone, on one metadata DB is tested end to end in
tests/integration/test_airflow_local.py.
"""

from __future__ import annotations

import os
import subprocess

from pipeline.config import REPO_ROOT
from pipeline.orchestration import local_airflow


def test_dags_are_created_unpaused_in_the_repos_airflow_home_unless_overridden():
    assert local_airflow.settings({}) == {
        "AIRFLOW_HOME": str(REPO_ROOT / ".airflow"),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    chosen = {
        "AIRFLOW_HOME": "/tmp/home",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__DAGS_FOLDER": "/elsewhere",  # always this project's DAGs
    }
    assert local_airflow.settings(chosen) == {
        **chosen,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    assert local_airflow.settings({"AIRFLOW_HOME": ""})["AIRFLOW_HOME"].endswith(".airflow")


def test_pipeline_run_and_the_standalone_script_create_dags_unpaused(monkeypatch, tmp_path):
    import pipeline.cli as cli

    cli_sets = [*local_airflow.settings({}), "AIRFLOW__LOGGING__LOGGING_LEVEL"]
    cli_sets += ["PIPELINE_TARGET", "PIPELINE_LAKE_ROOT", "PIPELINE_TASK_RETRIES"]
    for name in cli_sets:  # unset, and restored after the test, whatever the CLI sets
        monkeypatch.setenv(name, "x")
        monkeypatch.delenv(name)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "cli"))
    cli.prepare_local_airflow(str(tmp_path / "lake"))
    assert os.environ["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "False"

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPELINE_"))}
    env["AIRFLOW_HOME"] = str(tmp_path / "standalone")
    command = ["config", "get-value", "core", "dags_are_paused_at_creation"]
    result = subprocess.run(
        [str(REPO_ROOT / "scripts/airflow.sh"), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
