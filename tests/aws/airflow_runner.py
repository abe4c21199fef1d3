"""Run the aws-target DAG with ``dag.test()`` in a process of its own (used by conftest.py).

    python tests/aws/airflow_runner.py OUT.json YYYY-MM-DD [YYYY-MM-DD ...]

The caller sets the environment: ``AIRFLOW_HOME`` (a temp folder: the SQLite metadata DB is
created there), ``PIPELINE_TARGET=aws``, the lake root and names, the AWS connection and
endpoint (moto). A process of its own, because Airflow reads ``AIRFLOW_HOME`` once, at
import: the test process must not import Airflow against the repo's ``.airflow/``.

Writes ``{"tasks": {task_id: {...attributes}}, "runs": {date: {"state", "tasks": {id: state},
"new_files": [...]}}}`` to OUT.json.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAG_FILE = REPO / "dags" / "orders_pipeline.py"
ATTRIBUTES = (
    "deferrable",
    "mode",
    "soft_fail",
    "poke_interval",
    "timeout",
    "wildcard_match",
    "bucket_name",
    "bucket_key",
    "function_name",
    "invocation_type",
    "job_name",
    "wait_for_completion",
    "crawler_name",
    "database",
    "workgroup",
    "aws_conn_id",
    "region_name",
)


def describe(dag) -> dict:
    tasks = {}
    for task in dag.tasks:
        info = {name: getattr(task, name) for name in ATTRIBUTES if hasattr(task, name)}
        info.update(
            classes=[cls.__name__ for cls in type(task).__mro__],
            module=type(task).__module__,
            trigger_rule=str(task.trigger_rule),
            upstream=sorted(task.upstream_task_ids),
            execution_timeout=task.execution_timeout.total_seconds(),
            callbacks={
                kind: len(getattr(task, kind) or [])
                for kind in (
                    "on_execute_callback",
                    "on_success_callback",
                    "on_failure_callback",
                    "on_skipped_callback",
                )
            },
        )
        tasks[task.task_id] = json.loads(json.dumps(info, default=str))
    return tasks


def answer_crawler_metrics_locally() -> None:
    """moto does not implement Glue ``GetCrawlerMetrics``: answer it here, for every client.

    The provider's crawler wait logs the crawler's metrics once the crawl is over; without
    this the call fails with a 500 from moto's server. Everything else goes to moto.
    """
    from types import SimpleNamespace

    from botocore import handlers

    def metrics(params, **_):  # params: the serialized request (JSON body)
        names = json.loads(params["body"] or b"{}").get("CrawlerNameList", [])
        zero = dict.fromkeys(("LastRuntimeSeconds", "MedianRuntimeSeconds"), 0.0)
        counts = dict.fromkeys(("TablesCreated", "TablesUpdated", "TablesDeleted"), 0)
        listing = [{"CrawlerName": name, **zero, **counts} for name in names]
        return SimpleNamespace(status_code=200, headers={}), {"CrawlerMetricsList": listing}

    handlers.BUILTIN_HANDLERS.append(("before-call.glue.GetCrawlerMetrics", metrics))


def load_dag():
    spec = importlib.util.spec_from_file_location("orders_pipeline", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def main() -> int:
    out, dates = Path(sys.argv[1]), sys.argv[2:]
    sys.path[:0] = [str(REPO), str(REPO / "lambdas")]
    answer_crawler_metrics_locally()

    from airflow.utils.db import initdb

    initdb()

    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    dag = load_dag()

    result: dict = {"tasks": describe(dag), "runs": {}}
    for day in dates:
        run = dag.test(logical_date=datetime.fromisoformat(day).replace(tzinfo=UTC))
        with create_session() as session:
            states = {ti.task_id: str(ti.state) for ti in run.get_task_instances(session=session)}
            new_files = (
                session.query(XComModel)
                .filter_by(dag_id=dag.dag_id, run_id=run.run_id, task_id="sense_new_files")
                .filter_by(key="new_files")
                .one_or_none()
            )
            result["runs"][day] = {
                "state": str(run.state),
                "tasks": states,
                "new_files": XComModel.deserialize_value(new_files) if new_files else None,
            }
    # Parse the DAG file again with the production defaults (deferrable) and no network:
    # building the DAG must not call AWS.
    os.environ.pop("PIPELINE_DEFERRABLE", None)
    os.environ.pop("PIPELINE_AWS_POLL_SECONDS", None)
    attempts: list = []
    connect = socket.socket.connect

    def refuse(sock, address):
        attempts.append(str(address))
        raise OSError("no network while the DAG file is parsed")

    socket.socket.connect = refuse
    try:
        result["tasks_with_defaults"] = describe(load_dag())
    finally:
        socket.socket.connect = connect
    result["parse_connection_attempts"] = attempts
    out.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
