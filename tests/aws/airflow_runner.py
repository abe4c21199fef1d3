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

import requests

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
    "max_active_tis_per_dag",
)


def describe(dag) -> dict:
    tasks = {}
    for task in dag.tasks:
        info = {name: getattr(task, name) for name in ATTRIBUTES if hasattr(task, name)}
        info.update(
            classes=[cls.__name__ for cls in type(task).__mro__],
            module=type(task).__module__,
            trigger_rule=getattr(task.trigger_rule, "value", task.trigger_rule),
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


def shorten_dag_test_idle_wait() -> None:
    """``dag.test()`` sleeps 1 s whenever no task is ready, e.g. while it marks the tasks
    after a skipped or failed one level by level; poll every 0.05 s instead."""
    import time

    sleep = time.sleep

    def short_sleep(seconds: float) -> None:
        caller = sys._getframe(1).f_globals.get("__name__")
        sleep(min(seconds, 0.05) if caller == "airflow.sdk.definitions.dag" else seconds)

    time.sleep = short_sleep


def add_processed_table(table: str) -> None:
    """Give ``orders`` a second processed table, as invoices has (headers and lines).

    Only the validate step looks at the table list on the aws target (one validation job
    run per table); this exercises that with the one dataset whose SQL and suites exist.
    """
    from dataclasses import replace

    from pipeline import datasets

    spec = datasets.DATASETS["orders"]
    datasets.DATASETS["orders"] = replace(spec, tables=(*spec.tables, table))


class _TaskInstance:
    """Just enough of a task instance for operators run outside a DAG run: XCom in a dict."""

    def __init__(self, dag_id: str, task_id: str) -> None:
        self.dag_id, self.task_id, self.run_id = dag_id, task_id, "deferral_simulation"
        self.map_index, self.try_number, self.xcom = -1, 1, {}

    def xcom_push(self, key: str, value) -> None:
        self.xcom[key] = value

    def xcom_pull(self, task_ids=None, key: str = "return_value", **_):
        return self.xcom.get(key)


def simulate_deferral(dag, day: str) -> dict:
    """Drive the deferrable operators as the triggerer would, every trigger succeeding.

    No triggerer here (and no aiobotocore for the provider's async hooks), so each
    ``TaskDeferred`` is answered with the success event its trigger would emit, and the
    operator's resume method is called with it, until the operator returns. The AWS calls
    in between go to moto, as in the DAG runs.
    """
    from functools import partial

    from airflow.sdk.exceptions import TaskDeferred
    from airflow.sdk.serde import serialize

    results = {}
    for task_id in ("glue_job", "validate", "crawl", "athena_summaries"):
        task = dag.get_task(task_id)
        ti = _TaskInstance(dag.dag_id, task_id)
        context = {"ti": ti, "task_instance": ti, "task": task, "dag": dag, "ds": day}
        task.render_template_fields(context)
        deferrals, step = [], partial(task.execute, context)
        while True:
            try:
                value = step()
                break
            except TaskDeferred as deferred:
                classpath, _ = deferred.trigger.serialize()
                serialize(deferred.kwargs or {})  # the resume kwargs must survive serde
                method, kwargs = deferred.method_name, deferred.kwargs
                deferrals.append({"method": method, "kwargs": kwargs, "trigger": classpath})
                trigger = deferred.trigger
                event = {"status": "success", trigger.return_key: trigger.return_value}
                resume = getattr(task, deferred.method_name)
                step = partial(resume, context, event=event, **(deferred.kwargs or {}))
        results[task_id] = {"deferrals": deferrals, "result": value}
    return results


def main() -> int:
    out, dates = Path(sys.argv[1]), sys.argv[2:]
    sys.path[:0] = [str(REPO), str(REPO / "lambdas")]
    answer_crawler_metrics_locally()
    shorten_dag_test_idle_wait()
    if os.environ.get("TEST_EXTRA_PROCESSED_TABLE"):
        add_processed_table(os.environ["TEST_EXTRA_PROCESSED_TABLE"])

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
    # The recording holds the DAG runs' calls only.
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    requests.post(f"{endpoint}/moto-api/recorder/stop-recording", timeout=10).raise_for_status()

    # Parse the DAG file again with the production defaults (deferrable) and no network:
    # building the DAG must not call AWS.
    os.environ.pop("PIPELINE_DEFERRABLE", None)
    attempts: list = []
    connect = socket.socket.connect

    def refuse(sock, address):
        attempts.append(str(address))
        raise OSError("no network while the DAG file is parsed")

    socket.socket.connect = refuse
    try:
        deferrable_dag = load_dag()
    finally:
        socket.socket.connect = connect
    result["tasks_with_defaults"] = describe(deferrable_dag)
    result["parse_connection_attempts"] = attempts
    if dates:
        result["deferral"] = simulate_deferral(deferrable_dag, os.environ["DEFERRAL_DATE"])
    out.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
