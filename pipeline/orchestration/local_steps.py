"""The steps of a run on the local target, as plain functions of (dataset, run date).

Each reads what it needs from the lake (manifest, counts) rather than from XCom, so a
step can be retried or re-run alone; each records its status and timing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

from ..config import Settings
from ..datasets import get_dataset
from ..glue_args import expected_rows_by_table, glue_arguments
from ..lake import Lake
from ..steps import glue, metrics, run_record, sense, trigger
from ..steps.timing import StepSkipped, timed_step

log = logging.getLogger(__name__)


class RunFailed(RuntimeError):
    """The run record says the run failed; the message says why."""


def _lake() -> tuple[Settings, Lake]:
    settings = Settings.load()
    return settings, Lake(settings.lake_root)


def day_is_over(run_date: date, now: datetime | None = None) -> bool:
    """Files for a past day have all landed: no point waiting for more."""
    now = now or datetime.now(tz=UTC)
    return now.date() > run_date


def sense_new_files(dataset: str, run_date: str) -> list[dict] | None:
    """New files of the date; None while waiting; StepSkipped when the day is over."""
    _, lake = _lake()
    run_record.mark_run_started(lake, dataset, run_date)
    day = date.fromisoformat(run_date)
    with timed_step(lake, dataset, run_date, "sense_new_files") as step:
        files, changed = sense.sense_files(lake, dataset, day)
        step["files"] = len(files)
        if changed:
            step["changed_files"] = changed
        if not files and day_is_over(day):
            raise StepSkipped(f"no new {dataset} files landed on {run_date}: nothing to do")
    return [f.as_dict() for f in files] or None


def trigger_lambda(dataset: str, run_date: str, files: list[dict]) -> dict:
    _, lake = _lake()
    with timed_step(lake, dataset, run_date, "trigger_lambda") as step:
        keys = [f["key"] for f in files]
        response = trigger.invoke_trigger_local(lake, dataset, date.fromisoformat(run_date), keys)
        step["counts"] = response["counts"]
    return response


def glue_job(dataset: str, run_date: str) -> dict:
    settings, lake = _lake()
    spec = get_dataset(dataset)
    with timed_step(lake, dataset, run_date, "glue_job") as step:
        arguments = glue_arguments(lake, dataset, run_date)
        counts = glue.run_clean_job_local(spec, arguments, settings)
        step["totals"] = counts["totals"]
    return counts["totals"]


def validate(dataset: str, run_date: str) -> dict:
    settings, lake = _lake()
    spec = get_dataset(dataset)
    with timed_step(lake, dataset, run_date, "validate") as step:
        with lake.fs.open(lake.run_file(dataset, run_date, "job_counts.json")) as stream:
            counts = json.load(stream)
        expected = expected_rows_by_table(spec, counts)
        results = glue.run_validation_local(
            spec, lake, date.fromisoformat(run_date), expected, settings
        )
        step["success"] = all(r.get("success") for r in results.values())
    return {table: bool(r.get("success")) for table, r in results.items()}


def load_postgres(
    dataset: str, run_date: str, url: str | Callable[[], str] | None = None
) -> dict[str, int]:
    """Upsert the run's processed records into the dataset's PostgreSQL database.

    ``url`` (or a function returning it, resolved inside the timed step) defaults to the
    dataset's configured URL (:func:`pipeline.config.database_url`).
    """
    from ..config import database_url
    from ..steps.postgres import load_run, redact

    _, lake = _lake()
    with timed_step(lake, dataset, run_date, "load_postgres") as step:
        target = url() if callable(url) else url or database_url(dataset)
        step["database"] = redact(target)
        step["counts"] = load_run(lake, dataset, run_date, target)
    return step["counts"]


def crawl(dataset: str, run_date: str) -> dict:
    from ..steps.crawl import crawl_table

    settings, lake = _lake()
    spec = get_dataset(dataset)
    with timed_step(lake, dataset, run_date, "crawl") as step:
        results = {t: crawl_table(lake, settings.glue_database, t) for t in spec.tables}
        step["tables"] = list(results)
    return {table: str(result) for table, result in results.items()}


def athena_summaries(dataset: str, run_date: str) -> dict[str, int]:
    from ..steps.athena import run_summaries

    settings, lake = _lake()
    spec = get_dataset(dataset)
    with timed_step(lake, dataset, run_date, "athena_summaries") as step:
        rows = run_summaries(lake, settings.glue_database, dataset, spec.sql_dir)
        with lake.fs.open(lake.run_file(dataset, run_date, "summaries.json"), "w") as stream:
            json.dump(rows, stream, indent=2)
        step["summaries"] = rows
    return rows


def write_run_record(
    dataset: str, run_date: str, put_metric_data: Callable[..., object] | None = None
) -> dict:
    """Write run.json (with its metrics); raise RunFailed / StepSkipped so the scheduler
    shows the outcome. ``put_metric_data`` (aws target): publish the metrics too."""
    _, lake = _lake()
    spec = get_dataset(dataset)
    with timed_step(lake, dataset, run_date, "run_record") as step:
        record = run_record.build_run_record(lake, dataset, spec.tables, run_date)
    record["steps"]["run_record"] = step
    record["timings"]["run_record"] = step["seconds"]
    record = metrics.with_metrics(record)
    run_record.write_run_record(lake, record)
    if put_metric_data is not None:  # failed runs publish too: that is what alarms watch
        metrics.publish(record, put_metric_data)
    if record["status"] == run_record.FAILED:
        raise RunFailed(f"{dataset} run {run_date} failed: {record.get('error')}")
    if record["status"] == run_record.SKIPPED:
        raise StepSkipped(f"{dataset} run {run_date}: nothing to do")
    return record["totals"]
