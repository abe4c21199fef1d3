"""Airflow tasks of the ``aws`` target: the amazon provider's operators behind each step id.

Same step ids, same order and the same code for everything that is not transport as the
``local`` target (:mod:`.local_tasks`): new-file selection (:mod:`pipeline.landing` and the
run-record ledger), the Lambda's S3-shaped event (``trigger_lambda.events.build_event``),
the Glue job arguments (:mod:`pipeline.glue_args`), the SQL files and the run record.

Every name (connection id, region, Lambda, Glue jobs and crawler, Athena workgroup,
catalog database, buckets) comes from :class:`pipeline.config.Settings`. Nothing here
calls AWS while the DAG file is parsed: values that depend on the run (its files, its
date, the clean job's row counts) are *callable template fields*, which Airflow calls with
the task's context on the worker when it renders the task, just before ``execute``.

Two extra settings (``PIPELINE_<NAME>`` / Variable ``pipeline_<name>``):
``deferrable`` (default ``true``: Glue job, crawler and Athena wait in the triggerer, which
needs ``aiobotocore``, the provider's ``aiobotocore`` extra) and ``aws_poll_seconds``
(default ``30``: status polling / waiter delay).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.links.athena import AthenaQueryResultsLink
from airflow.providers.amazon.aws.operators.athena import AthenaOperator
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerRunOperator
from airflow.providers.amazon.aws.operators.lambda_function import LambdaInvokeFunctionOperator
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.providers.amazon.aws.triggers.athena import AthenaTrigger
from airflow.providers.amazon.aws.triggers.glue import GlueJobCompleteTrigger
from airflow.providers.amazon.aws.utils import validate_execute_complete_event
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk import TriggerRule
from airflow.sdk.exceptions import AirflowException, AirflowSkipException
from trigger_lambda.contracts import contract_for
from trigger_lambda.events import build_event
from trigger_lambda.ledger import processed_files
from trigger_lambda.storage import S3Storage

from ..config import ConfigError, Settings, setting
from ..datasets import get_dataset
from ..glue_args import expected_rows_by_table, glue_arguments, suite_uri, validation_arguments
from ..lake import Lake
from ..landing import RawFile, files_landed_on
from ..steps.run_record import mark_run_started
from ..steps.sense import changed_file_warnings
from ..steps.timing import write_step
from . import local_steps, local_tasks
from .aws_postgres import load_postgres as load_postgres  # step of datasets with a postgres sink
from .callbacks import record_failure
from .context import run_date_of
from .local_steps import day_is_over

log = logging.getLogger(__name__)

NEW_FILES_XCOM = "new_files"
CHANGED_FILES_XCOM = "changed_files"  # processed raw files re-landed since (warnings)
SKIP_REASON_XCOM = "skip_reason"
SKIPPED_WITHOUT_REASON = {"sense_new_files": "no new files before the sensor's timeout"}

DOCS = {
    "sense_new_files": "`S3KeySensor` over `raw/<dataset>/` in the lake bucket: succeeds once a "
    "raw file landed on the run's logical date that no earlier run processed (pushed as XCom "
    "`new_files`); skips the run when the day is over and none came.",
    "trigger_lambda": "Invokes the trigger Lambda (RequestResponse) with an S3-notification-shaped "
    "event for the run's new files: preflight, whole-file quarantine (`bad_file`), duplicate "
    "files and the run's manifest. Fails when the Lambda refuses the event.",
    "glue_job": "Runs the dataset's Glue PySpark job (`<glue_job_prefix>-<dataset>`): clean, "
    "quarantine bad rows, dedupe, write processed Parquet and per-file counts.",
    "validate": "Runs the Great Expectations Glue job (`<glue_job_prefix>-validate`) once per "
    "processed table: a run table on the run's partition, expecting the clean job's valid-row "
    "count; an aggregate (e.g. `order_totals`) whole, with `--scope table` and no row count. "
    "Writes Data Docs into the lake. A failing suite fails the run.",
    "crawl": "Runs the dataset's Glue crawler (`<glue_crawler_prefix>-<dataset>`): processed "
    "tables and their partitions into the Glue Data Catalog.",
    "athena_summaries": "Runs `sql/<dataset>/views/*.sql`, then each summary `sql/<dataset>/*.sql` "
    "on Athena, one at a time; each result lands in `enriched/<dataset>/<summary>/`, replacing "
    "the previous one.",
}


# --- settings and small helpers --------------------------------------------------------------


def lake_bucket(settings: Settings) -> str:
    """The lake bucket: the aws target needs ``lake_root = s3://<bucket>``."""
    root = settings.lake_root.rstrip("/")
    bucket = root[len("s3://") :] if root.startswith("s3://") else ""
    if not bucket or "/" in bucket:
        raise ConfigError(
            "PIPELINE_LAKE_ROOT must be s3://<bucket> on the aws target, "
            f"got {settings.lake_root!r}"
        )
    return bucket


def deferrable() -> bool:
    return setting("deferrable", "true").lower() in ("1", "true", "yes")


def poll_seconds() -> int:
    return int(setting("aws_poll_seconds", "30"))


def _attempts(timeout: timedelta, poll: int) -> int:
    """Status polls that fit into ``timeout`` (the task's execution timeout bounds the wait)."""
    return max(1, math.ceil(timeout.total_seconds() / max(poll, 1)))


def _aws(settings: Settings) -> dict[str, Any]:
    return {"aws_conn_id": settings.aws_conn_id, "region_name": settings.aws_region}


# --- step timings: task callbacks write _runs/<dataset>/<date>/steps/<step>.json ----------------


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class RecordStep:
    """Task callback: record the step's outcome and timing as ``timed_step`` does locally.

    Provider operators run no code of ours around ``execute``, so the step file is written
    from the task's state callbacks (success, failure, skipped). In Airflow 3 they run in
    the task's own process after ``execute`` with the task context: ``ti`` (its
    ``start_date`` is when this try started), the logical date and, on failure,
    ``exception``. Never raises: a bookkeeping problem must not change the task's outcome.
    """

    dataset: str
    status: str

    def __call__(self, context: dict[str, Any]) -> None:
        ti = context.get("ti")
        step = getattr(ti, "task_id", "unknown")
        try:
            finished = datetime.now(tz=UTC)
            started = getattr(ti, "start_date", None) or finished
            result: dict[str, Any] = {
                "step": step,
                "started_at": _iso(started),
                "status": self.status,
                "finished_at": _iso(finished),
                "seconds": round((finished - started).total_seconds(), 3),
                "try_number": getattr(ti, "try_number", None),
            }
            error = context.get("exception")
            if self.status == "failed":
                result["error"] = (f"{type(error).__name__}: {error}" if error else "failed")[:2000]
            elif self.status == "skipped":  # Airflow passes no exception for a skip
                reason = ti.xcom_pull(task_ids=step, key=SKIP_REASON_XCOM) or error
                result["detail"] = str(reason or SKIPPED_WITHOUT_REASON.get(step, "skipped"))[:2000]
            result.update(_step_details(step, ti))
            lake = Lake(Settings.load().lake_root)
            write_step(lake, self.dataset, run_date_of(context), step, result)
        except Exception as exc:
            log.warning("could not record step %s as %s: %s", step, self.status, exc)


def _step_details(step: str, ti: Any) -> dict[str, Any]:
    """What the local step records besides status and timing, where the task has it."""
    if step == "sense_new_files":
        files = ti.xcom_pull(task_ids=step, key=NEW_FILES_XCOM) or []
        changed = ti.xcom_pull(task_ids=step, key=CHANGED_FILES_XCOM)
        return {"files": len(files), **({"changed_files": changed} if changed else {})}
    if step == "trigger_lambda":
        response = ti.xcom_pull(task_ids=step) or {}
        return {"counts": response.get("counts")} if isinstance(response, dict) else {}
    if step == "glue_job":
        return {"job_run_id": ti.xcom_pull(task_ids=step)}
    if step == "validate":
        return {"job_run_ids": ti.xcom_pull(task_ids=step)}
    if step == "athena_summaries":
        return {"summaries": ti.xcom_pull(task_ids=step)}
    return {}


@dataclass(frozen=True)
class MarkRunStarted:
    """``on_execute_callback`` of the first step: a new attempt at the run starts clean
    (earlier step results gone, the run record says ``running``)."""

    dataset: str

    def __call__(self, context: dict[str, Any]) -> None:
        try:
            lake = Lake(Settings.load().lake_root)
            mark_run_started(lake, self.dataset, run_date_of(context))
        except Exception as exc:
            log.warning("could not reset the run record: %s", exc)


def step_callbacks(dataset: str) -> dict[str, Any]:
    return {
        "on_success_callback": [RecordStep(dataset, "success")],
        "on_failure_callback": [RecordStep(dataset, "failed"), record_failure],
        "on_skipped_callback": [RecordStep(dataset, "skipped")],
    }


# --- sense_new_files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRawFiles:
    """``check_fn`` of the S3 key sensor: are there new raw files for the run's date?

    Receives the sensor's listing of ``raw/<dataset>/`` (``Key``, ``Size``,
    ``LastModified`` per object) and applies the same rules as the local target:
    the dataset's file names only, landing date = the run's logical date
    (:func:`pipeline.landing.files_landed_on`), minus the files successful runs of other
    dates recorded (the trigger Lambda's ledger). Pushes the new files as XCom
    ``new_files`` for the Lambda's event; raises skip when the day is over and none came.
    """

    dataset: str
    bucket: str
    aws_conn_id: str
    region_name: str

    def __call__(self, files: list[dict], **context: Any) -> bool:
        run_date = run_date_of(context)
        day = date.fromisoformat(run_date)
        new, changed = self.select(files, day)
        log.info("%s %s: %d new raw file(s)", self.dataset, run_date, len(new))
        if changed:
            context["ti"].xcom_push(key=CHANGED_FILES_XCOM, value=changed)
        if new:
            context["ti"].xcom_push(key=NEW_FILES_XCOM, value=[f.as_dict() for f in new])
            return True
        if day_is_over(day):
            reason = f"no new {self.dataset} files landed on {run_date}: nothing to do"
            context["ti"].xcom_push(key=SKIP_REASON_XCOM, value=reason)
            raise AirflowSkipException(reason)
        return False

    def select(self, files: list[dict], day: date) -> tuple[list[RawFile], list[dict]]:
        """The new files of ``day``, and warnings for processed files re-landed since."""
        contract = contract_for(self.dataset)
        raw = [
            RawFile(key=f["Key"], size=int(f["Size"]), modified=_epoch(f["LastModified"]))
            for f in files
            if contract.accepts_name(f["Key"])
        ]
        client = S3Hook(aws_conn_id=self.aws_conn_id, region_name=self.region_name).get_conn()
        ledger = processed_files(S3Storage(self.bucket, client), self.dataset, day.isoformat())
        done = {(f.key, f.size, f.modified) for f in ledger}

        def sha256_of(key: str) -> str:
            digest = hashlib.sha256()
            for chunk in client.get_object(Bucket=self.bucket, Key=key)["Body"].iter_chunks():
                digest.update(chunk)
            return digest.hexdigest()

        changed = changed_file_warnings(raw, ledger, sha256_of)
        return files_landed_on(raw, day, done), changed


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def sense_new_files(dataset: str, settings: Settings):
    bucket = lake_bucket(settings)
    # deferrable=False, mode="reschedule", on purpose. The provider's deferrable S3KeySensor
    # does accept a check_fn, but its trigger collects the files for it with a
    # Delimiter="/" listing (S3Hook.get_files_async): only objects directly under raw/<dataset>/
    # reach check_fn, never those under dt=YYYY-MM-DD/ or YYYY/MM/DD/ folders, so it would
    # wait forever for partitioned keys. It also HEADs every key on each poke and, once any key
    # exists, hands control back to a worker on every poke to run check_fn, so it frees no
    # worker slot that reschedule mode does not free too (between pokes nothing runs).
    return S3KeySensor(
        task_id="sense_new_files",
        bucket_name=bucket,
        bucket_key=f"raw/{dataset}/*",
        wildcard_match=True,
        check_fn=NewRawFiles(dataset, bucket, settings.aws_conn_id, settings.aws_region),
        metadata_keys=["Key", "Size", "LastModified"],
        deferrable=False,
        mode="reschedule",
        poke_interval=int(settings.sensor_poke_seconds),
        timeout=int(settings.sensor_timeout_seconds),
        soft_fail=True,
        doc_md=DOCS["sense_new_files"],
        on_execute_callback=[MarkRunStarted(dataset)],
        **step_callbacks(dataset),
        **_aws(settings),
    )


# --- trigger_lambda ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LambdaEvent:
    """Callable ``payload``: the S3-shaped event for the files the sensor found (JSON)."""

    dataset: str
    lake_root: str

    def __call__(self, context: dict[str, Any], jinja_env: Any = None) -> str:
        files = context["ti"].xcom_pull(task_ids="sense_new_files", key=NEW_FILES_XCOM) or []
        keys = [f["key"] for f in files]
        return json.dumps(build_event(self.lake_root, self.dataset, run_date_of(context), keys))


class TriggerLambdaOperator(LambdaInvokeFunctionOperator):
    """``LambdaInvokeFunctionOperator`` that fails when the trigger Lambda refuses the event.

    The handler answers a bad event with ``{"ok": false, "error": ...}`` rather than a
    function error (so the Lambda's own retries and DLQ are not spent on it); the local
    target raises on that answer, and so does this. Returns the handler's response.
    """

    def execute(self, context):
        payload = super().execute(context)
        try:
            response = json.loads(payload)
        except (TypeError, ValueError):
            response = None
        if not isinstance(response, dict) or not response.get("ok"):
            error = response.get("error") if isinstance(response, dict) else payload
            raise AirflowException(f"trigger Lambda refused the event: {error}")
        self.log.info(
            "trigger: %s, manifest %s", response.get("counts"), response.get("manifest_uri")
        )
        return response


def trigger_lambda(dataset: str, settings: Settings):
    return TriggerLambdaOperator(
        task_id="trigger_lambda",
        function_name=settings.lambda_function,
        invocation_type="RequestResponse",
        log_type="Tail",
        payload=LambdaEvent(dataset, settings.lake_root),
        execution_timeout=timedelta(minutes=15),
        doc_md=DOCS["trigger_lambda"],
        **step_callbacks(dataset),
        **_aws(settings),
    )


# --- glue_job, validate ------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanJobArguments:
    """Callable ``script_args`` of the clean job: :func:`pipeline.glue_args.glue_arguments`."""

    dataset: str
    lake_root: str

    def __call__(self, context: dict[str, Any], jinja_env: Any = None) -> dict[str, str]:
        return glue_arguments(Lake(self.lake_root), self.dataset, run_date_of(context))


@dataclass(frozen=True)
class ValidationJobArguments:
    """Callable ``runs_arguments`` of the validation job: one argument set per processed table.

    ``--expected_rows`` comes from the run's ``job_counts.json``, written by the clean job;
    an aggregate table gets ``--scope table`` instead (:func:`validation_arguments`).
    """

    dataset: str
    lake_root: str
    scripts_uri: str

    def __call__(self, context: dict[str, Any], jinja_env: Any = None) -> list[dict[str, str]]:
        spec = get_dataset(self.dataset)
        lake = Lake(self.lake_root)
        run_date = run_date_of(context)
        with lake.fs.open(lake.run_file(self.dataset, run_date, "job_counts.json")) as stream:
            expected = expected_rows_by_table(spec, json.load(stream))
        return [
            validation_arguments(
                spec,
                table,
                lake,
                run_date,
                expected[table],
                suite_uri(spec, table, self.scripts_uri),
            )
            for table in spec.tables
        ]


class GlueJobRunsOperator(GlueJobOperator):
    """``GlueJobOperator`` that runs its job once per argument set, one run after another.

    The validation job checks one processed table per run and a dataset may have several
    (invoices: headers and lines), while the step keeps one task id. Runs go in order, each
    waited for (deferred, when deferrable) before the next starts; the first failure fails
    the task. ``durable`` is off: its retry-reconnect tags every run of the task with the
    same id, so a retry could attach to another table's run; re-validating is harmless.
    Returns the job run ids.
    """

    template_fields = (*GlueJobOperator.template_fields, "runs_arguments")
    template_fields_renderers: ClassVar[dict[str, str]] = {
        **GlueJobOperator.template_fields_renderers,
        "runs_arguments": "json",
    }

    def __init__(self, *, runs_arguments: Any, **kwargs: Any) -> None:
        super().__init__(durable=False, **kwargs)
        self.runs_arguments = runs_arguments

    def execute(self, context):
        return self._run_from(context, 0, [])

    def resume_runs(self, context, event=None, *, position: int, run_ids: list[str]):
        event = validate_execute_complete_event(event)
        if event.get("status") != "success":
            raise AirflowException(f"Error in glue job: {event}")
        return self._run_from(context, position + 1, run_ids)

    def _run_from(self, context, position: int, run_ids: list[str]) -> list[str]:
        for index in range(position, len(self.runs_arguments)):
            self.script_args = self.runs_arguments[index]
            self._job_run_id = None
            run_id = self.submit_job(context)
            run_ids = [*run_ids, run_id]
            if self.deferrable:
                self.defer(
                    trigger=GlueJobCompleteTrigger(
                        job_name=self.job_name,
                        run_id=run_id,
                        verbose=self.verbose,
                        aws_conn_id=self.aws_conn_id,
                        waiter_delay=self.waiter_delay,
                        waiter_max_attempts=self.waiter_max_attempts,
                        region_name=self.region_name,
                        verify=self.verify,
                        botocore_config=self.botocore_config,
                    ),
                    method_name="resume_runs",
                    kwargs={"position": index, "run_ids": run_ids},
                )
            self.poll_until_complete(run_id, context)
        return run_ids


def _glue_job(operator, task_id: str, job_name: str, timeout: timedelta, dataset, settings, **args):
    poll = poll_seconds()
    return operator(
        task_id=task_id,
        job_name=job_name,
        wait_for_completion=True,
        deferrable=deferrable(),
        stop_job_run_on_kill=True,
        job_poll_interval=poll,
        waiter_delay=poll,
        waiter_max_attempts=_attempts(timeout, poll),
        execution_timeout=timeout,
        doc_md=DOCS[task_id],
        **args,
        **step_callbacks(dataset),
        **_aws(settings),
    )


def glue_job(dataset: str, settings: Settings):
    lake_bucket(settings)
    return _glue_job(
        GlueJobOperator,
        "glue_job",
        f"{settings.glue_job_prefix}-{dataset}",
        timedelta(hours=2),
        dataset,
        settings,
        script_args=CleanJobArguments(dataset, settings.lake_root),
        **local_tasks.ONE_RUN_AT_A_TIME,
    )


def validate(dataset: str, settings: Settings):
    lake_bucket(settings)
    if not settings.glue_scripts_uri:
        raise ConfigError(
            "PIPELINE_GLUE_SCRIPTS_URI must be set on the aws target (the validation job reads "
            "<uri>/expectations/<table>.json; see the glue_scripts_uri Terraform output)"
        )
    return _glue_job(
        GlueJobRunsOperator,
        "validate",
        f"{settings.glue_job_prefix}-validate",
        timedelta(minutes=30),
        dataset,
        settings,
        runs_arguments=ValidationJobArguments(
            dataset, settings.lake_root, settings.glue_scripts_uri
        ),
    )


# --- crawl -------------------------------------------------------------------------------------


def crawl(dataset: str, settings: Settings):
    # GlueCrawlerRunOperator, not the deprecated GlueCrawlerOperator(config={"Name": ...}): that
    # one also creates or updates the crawler from `config` on every run, while Terraform owns
    # the crawler's definition (targets, role, schema policy); this one only starts and waits.
    poll = poll_seconds()
    return GlueCrawlerRunOperator(
        task_id="crawl",
        crawler_name=f"{settings.glue_crawler_prefix}-{dataset}",
        poll_interval=poll,
        wait_for_completion=True,
        deferrable=deferrable(),
        # a retry after a lost start_crawler response waits for that crawl instead of failing
        fail_on_already_running=False,
        execution_timeout=timedelta(minutes=15),
        doc_md=DOCS["crawl"],
        **step_callbacks(dataset),
        **_aws(settings),
    )


# --- athena_summaries --------------------------------------------------------------------------


class AthenaSqlFilesOperator(AthenaOperator):
    """Run a dataset's SQL files on Athena in order: views, then one query per summary.

    Why one operator running the statements one after another rather than a mapped
    ``AthenaOperator.partial(task_id="athena_summaries").expand_kwargs(...)``: the views
    must exist before any summary runs, which a mapped task (all instances in parallel)
    cannot express without another task id; the file set is read on the worker, so the
    serialized DAG carries no SQL; and the statements are not Jinja templates, so
    ``query`` is left out of ``template_fields`` and Athena receives each file's exact
    text (a ``{#`` or ``{{`` in SQL would otherwise be rendered).

    Per statement: ``QueryExecutionContext.Database`` = the Glue database, the workgroup,
    and ``ResultConfiguration.OutputLocation`` = ``s3://<bucket>/enriched/<dataset>/<summary>/``
    (views: ``_runs/<dataset>/<date>/athena/<view>/``). Deferrable: the operator defers
    on each query and resumes with the next one (``resume_statements``).

    After a summary succeeds, everything else under its prefix (earlier runs' results,
    Athena's ``.metadata`` files) is deleted, so the folder holds exactly one CSV (with a
    header); deleting after rather than before keeps the previous result when the new query
    fails. When the workgroup enforces its own result location, the result is copied into
    the summary's folder first. Row counts (Athena runtime statistics) go to
    ``_runs/<dataset>/<date>/summaries.json``, as on the local target.
    """

    template_fields = aws_template_fields("database", "workgroup", "catalog")
    template_ext = ()

    def __init__(self, *, dataset: str, lake_root: str, **kwargs: Any) -> None:
        super().__init__(query=f"sql/{dataset}/views/*.sql, then sql/{dataset}/*.sql", **kwargs)
        self.dataset = dataset
        self.lake_root = lake_root

    # statements and where their results go
    def statements(self) -> list[tuple[str, str, str]]:
        """``(kind, name, sql)`` in the order to run them: views first, then summaries."""
        from ..steps.athena import summary_sql_files, view_sql_files

        sql_dir = get_dataset(self.dataset).sql_dir
        summaries = summary_sql_files(sql_dir)
        if not summaries:
            raise FileNotFoundError(f"no summary SQL in {sql_dir} (expected sql/<dataset>/*.sql)")
        views = [("view", name, sql) for name, sql in view_sql_files(sql_dir).items()]
        return views + [("summary", name, sql) for name, sql in summaries.items()]

    def result_location(self, kind: str, name: str, run_date: str) -> str:
        lake = Lake(self.lake_root)
        if kind == "summary":
            return lake.enriched(self.dataset, name) + "/"
        return lake.uri("_runs", self.dataset, run_date, "athena", name) + "/"

    # execution
    def execute(self, context):
        return self._run_from(context, 0, run_date_of(context), {})

    def resume_statements(self, context, event=None, *, position: int, run_date: str, rows: dict):
        event = validate_execute_complete_event(event)
        kind, name, _ = self.statements()[position]
        if event.get("status") != "success":
            raise AirflowException(f"Athena query of {kind} {name} did not succeed: {event}")
        self._finish(kind, name, event["value"], rows)
        return self._run_from(context, position + 1, run_date, rows)

    def _run_from(self, context, position: int, run_date: str, rows: dict) -> dict:
        statements = self.statements()
        for index in range(position, len(statements)):
            kind, name, sql = statements[index]
            query_id = self._start(context, kind, name, sql, run_date)
            if self.deferrable:
                self.defer(
                    trigger=AthenaTrigger(
                        query_execution_id=query_id,
                        waiter_delay=self.sleep_time,
                        waiter_max_attempts=self.max_polling_attempts,
                        aws_conn_id=self.aws_conn_id,
                        region_name=self.region_name,
                        verify=self.verify,
                        botocore_config=self.botocore_config,
                    ),
                    method_name="resume_statements",
                    kwargs={"position": index, "run_date": run_date, "rows": rows},
                )
            self._wait(kind, name, query_id)
            self._finish(kind, name, query_id, rows)
        self._write_summaries(run_date, rows)
        return rows

    def _start(self, context, kind: str, name: str, sql: str, run_date: str) -> str:
        self.query = sql
        query_context = {**self.query_execution_context, "Catalog": self.catalog}
        if self.database:
            query_context["Database"] = self.database
        result_configuration = {
            **self.result_configuration,
            "OutputLocation": self.result_location(kind, name, run_date),
        }
        self.log.info("%s %s: starting", kind, name)
        self.query_execution_id = self.hook.run_query(
            sql, query_context, result_configuration, None, self.workgroup
        )
        AthenaQueryResultsLink.persist(  # the task's link: the latest query
            context=context,
            operator=self,
            region_name=self.hook.conn_region_name,
            aws_partition=self.hook.conn_partition,
            query_execution_id=self.query_execution_id,
        )
        return self.query_execution_id

    def _wait(self, kind: str, name: str, query_id: str) -> None:
        state = self.hook.poll_query_status(
            query_id, max_polling_attempts=self.max_polling_attempts, sleep_time=self.sleep_time
        )
        if state not in self.hook.SUCCESS_STATES:
            reason = self.hook.get_state_change_reason(query_id)
            raise AirflowException(
                f"Athena query of {kind} {name} ended {state} (query execution id {query_id}): "
                f"{reason}"
            )

    def _finish(self, kind: str, name: str, query_id: str, rows: dict) -> None:
        if kind != "summary":
            return
        self._publish(name, query_id)
        rows[name] = self._output_rows(query_id)
        self.log.info("summary %s/%s: %s rows", self.dataset, name, rows[name])

    def _s3(self) -> S3Hook:
        return S3Hook(
            aws_conn_id=self.aws_conn_id, region_name=self.region_name, verify=self.verify
        )

    def _publish(self, name: str, query_id: str) -> None:
        """Leave exactly this query's result in the summary's folder."""
        s3 = self._s3()
        folder = Lake(self.lake_root).enriched(self.dataset, name) + "/"
        bucket, prefix = S3Hook.parse_s3_url(folder)
        execution = self.hook.get_query_info(query_id)["QueryExecution"]
        written = execution.get("ResultConfiguration", {}).get("OutputLocation", "")
        result_key = f"{prefix}{query_id}.csv"
        if written and not written.startswith(folder):
            source_bucket, source_key = S3Hook.parse_s3_url(written)
            self.log.info("copying result %s into %s", written, folder)
            s3.copy_object(source_key, result_key, source_bucket, bucket)
        stale = [key for key in s3.list_keys(bucket, prefix=prefix) if key != result_key]
        if stale:
            self.log.info("removing %d earlier object(s) under %s", len(stale), folder)
            s3.delete_objects(bucket, stale)

    def _output_rows(self, query_id: str) -> int | None:
        try:
            statistics = self.hook.get_conn().get_query_runtime_statistics(
                QueryExecutionId=query_id
            )
            return int(statistics["QueryRuntimeStatistics"]["Rows"]["OutputRows"])
        except Exception as exc:  # statistics are informative only
            self.log.warning("no row count for %s: %s", query_id, exc)
            return None

    def _write_summaries(self, run_date: str, rows: dict) -> None:
        lake = Lake(self.lake_root)
        bucket, key = S3Hook.parse_s3_url(lake.run_file(self.dataset, run_date, "summaries.json"))
        self._s3().load_string(json.dumps(rows, indent=2), key, bucket, replace=True)


def athena_summaries(dataset: str, settings: Settings):
    lake_bucket(settings)
    poll = poll_seconds()
    timeout = timedelta(minutes=30)
    return AthenaSqlFilesOperator(
        task_id="athena_summaries",
        dataset=dataset,
        lake_root=settings.lake_root,
        database=settings.glue_database,
        workgroup=settings.athena_workgroup,
        sleep_time=poll,
        max_polling_attempts=_attempts(timeout, poll),
        deferrable=deferrable(),
        execution_timeout=timeout,
        doc_md=DOCS["athena_summaries"],
        **local_tasks.ONE_RUN_AT_A_TIME,
        **step_callbacks(dataset),
        **_aws(settings),
    )


# --- run_record --------------------------------------------------------------------------------


def put_metric_data(**request: Any) -> Any:
    """CloudWatch ``PutMetricData`` through the provider's hook (the task's connection)."""
    settings = Settings.load()
    hook = AwsBaseHook(
        aws_conn_id=settings.aws_conn_id, client_type="cloudwatch", region_name=settings.aws_region
    )
    return hook.get_conn().put_metric_data(**request)


def write_run_record_and_publish(dataset: str, run_date: str) -> dict:
    return local_steps.write_run_record(dataset, run_date, put_metric_data=put_metric_data)


# The same task as on the local target (local_steps.write_run_record over the lake root,
# here s3://<bucket> through Lake.fs; trigger rule all_done; it times itself), which also
# publishes the run's metrics to CloudWatch (pipeline.steps.metrics).
run_record = local_tasks.simple_task(
    "run_record", write_run_record_and_publish, timedelta(minutes=5), TriggerRule.ALL_DONE
)
