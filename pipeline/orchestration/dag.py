"""The DAG factory: one pipeline DAG per dataset, same task ids on every target.

A DAG file calls :func:`pipeline_dag` and declares the flow with :func:`steps_for`;
the target (``PIPELINE_TARGET``: ``local`` or ``aws``) picks which tasks stand behind
each step id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from airflow.sdk import DAG

from ..config import Settings, setting
from ..datasets import get_dataset
from .callbacks import record_failure
from .events import pipeline_schedule

STEP_IDS = (
    "sense_new_files",
    "trigger_lambda",
    "glue_job",
    "validate",
    "crawl",
    "athena_summaries",
    "run_record",
)


def default_args(settings: Settings) -> dict:
    """Retries with exponential backoff, timeouts and the failure callback for every task."""
    return {
        "owner": "data-platform",
        "retries": int(setting("task_retries", "2")),
        "retry_delay": timedelta(seconds=int(setting("retry_delay_seconds", "60"))),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=15),
        "execution_timeout": timedelta(hours=1),
        "on_failure_callback": record_failure,
    }


def pipeline_dag(dataset: str, doc_md: str | None = None) -> DAG:
    """The DAG of ``dataset``'s pipeline (use as a context manager in the DAG file).

    Daily data intervals: the run for day D starts once D is over, so D's files are in.
    """
    spec = get_dataset(dataset)
    settings = Settings.load()
    start = datetime.fromisoformat(setting("start_date", "2024-01-01"))
    return DAG(
        dag_id=spec.dag_id,
        description=spec.description,
        doc_md=doc_md,
        schedule=pipeline_schedule(dataset, settings),
        start_date=start,
        catchup=False,
        max_active_runs=int(setting("max_active_runs", "1")),
        default_args=default_args(settings),
        tags=["glue-pipeline", dataset, settings.target],
        params={"dataset": dataset},
    )


def steps_for(dataset: str) -> SimpleNamespace:
    """Builders for each step id, bound to the dataset and the configured target."""
    settings = Settings.load()
    if settings.target == "aws":
        from . import aws_tasks as tasks
    else:
        from . import local_tasks as tasks
    steps = STEP_IDS + get_dataset(dataset).extra_steps  # e.g. load_postgres for a DB sink
    return SimpleNamespace(
        **{step: _bind(getattr(tasks, step), dataset, settings) for step in steps}
    )


def _bind(builder, dataset: str, settings: Settings):
    return lambda: builder(dataset, settings)
