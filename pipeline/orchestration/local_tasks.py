"""Airflow tasks of the ``local`` target: each step id runs its local step for real."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import BaseSensorOperator, PokeReturnValue, TriggerRule, task
from airflow.sdk.exceptions import AirflowSkipException

from ..config import Settings
from ..steps.timing import StepSkipped
from . import local_steps
from .context import run_date_of

DOCS = {
    "sense_new_files": "Finds the raw files that landed on the run's logical date and no "
    "earlier run processed. Skips the run (nothing to do) when the day is over and none came.",
    "trigger_lambda": "Invokes the trigger Lambda handler with an S3-shaped event: preflight, "
    "whole-file quarantine (`bad_file`), duplicate files, and the run's manifest.",
    "glue_job": "Runs the dataset's Glue PySpark job (spark-submit on local Spark): clean, "
    "quarantine bad rows, dedupe, write processed Parquet and per-file counts.",
    "validate": "Runs the Great Expectations suite on the processed partition (a Glue job) and "
    "writes Data Docs into the lake. A failing suite fails the run.",
    "load_postgres": "Upserts the run's processed records into the dataset's PostgreSQL "
    "database in one transaction (`INSERT ... ON CONFLICT DO UPDATE`; a later run date wins; "
    "lines a replaced record no longer has are deleted). Only datasets with a `postgres` sink.",
    "crawl": "Registers the processed table and its partitions in the catalog.",
    "athena_summaries": "Runs the summary SQL files (Athena/Trino dialect; DuckDB locally) and "
    "writes each result to `enriched/<dataset>/<summary>/`.",
    "run_record": "Writes `_runs/<dataset>/<date>/run.json` and fails the run if counts do not "
    "reconcile or any step failed.",
}


def _run(step, dataset: str, context: dict):
    try:
        return step(dataset, run_date_of(context))
    except StepSkipped as exc:
        raise AirflowSkipException(str(exc)) from None


class NewFilesSensor(BaseSensorOperator):
    """Pokes for the run date's new raw files; skips when the day is over and none came."""

    def __init__(self, dataset: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dataset = dataset

    def poke(self, context) -> PokeReturnValue:
        files = _run(local_steps.sense_new_files, self.dataset, context)
        return PokeReturnValue(is_done=files is not None, xcom_value=files)


def sense_new_files(dataset: str, settings: Settings):
    return NewFilesSensor(
        dataset=dataset,
        task_id="sense_new_files",
        poke_interval=int(settings.sensor_poke_seconds),
        timeout=int(settings.sensor_timeout_seconds),
        mode="reschedule",
        soft_fail=True,
        doc_md=DOCS["sense_new_files"],
    )


def trigger_lambda(dataset: str, settings: Settings):
    @task(
        task_id="trigger_lambda",
        doc_md=DOCS["trigger_lambda"],
        execution_timeout=timedelta(minutes=15),
    )
    def trigger(**context) -> dict:
        files = context["ti"].xcom_pull(task_ids="sense_new_files") or []
        return local_steps.trigger_lambda(dataset, run_date_of(context), files)

    return trigger()


# Steps that rewrite a dataset-wide output from every run's rows, so two runs must not run
# them at once. A DAG run at a time is not enough: an Airflow 3 backfill runs up to 10
# dates at once, whatever the DAG's max_active_runs.
# - athena_summaries rewrites enriched/<dataset>/: two runs publishing together deleted
#   each other's files (both targets: on AWS each run clears the summary's prefix of every
#   result but its own);
# - glue_job rebuilds each aggregate table (processed/order_totals/) from the whole
#   history after writing its run's partition: two jobs rebuilding at once doubled its rows,
#   and one that read the history before the other's partition landed could finish last
#   without it. One at a time, the last rebuild starts after every partition before it.
#   On AWS the clean job also allows one concurrent run (Terraform); Airflow then queues
#   the second run's task instead of Glue refusing it.
ONE_RUN_AT_A_TIME = {"max_active_tis_per_dag": 1}


def simple_task(
    step_id: str,
    step,
    timeout: timedelta,
    trigger_rule: str = TriggerRule.ALL_SUCCESS,
    **options,
):
    def build(dataset: str, settings: Settings):
        @task(
            task_id=step_id,
            doc_md=DOCS[step_id],
            execution_timeout=timeout,
            trigger_rule=trigger_rule,
            **options,
        )
        def run(**context):
            return _run(step, dataset, context)

        return run()

    return build


glue_job = simple_task("glue_job", local_steps.glue_job, timedelta(hours=2), **ONE_RUN_AT_A_TIME)
validate = simple_task("validate", local_steps.validate, timedelta(minutes=30))
load_postgres = simple_task("load_postgres", local_steps.load_postgres, timedelta(minutes=30))
crawl = simple_task("crawl", local_steps.crawl, timedelta(minutes=15))
athena_summaries = simple_task(
    "athena_summaries",
    local_steps.athena_summaries,
    timedelta(minutes=30),
    **ONE_RUN_AT_A_TIME,
)
run_record = simple_task(
    "run_record", local_steps.write_run_record, timedelta(minutes=5), TriggerRule.ALL_DONE
)
