"""Task callbacks: a failed task always leaves a trace in the run record and the log."""

from __future__ import annotations

import logging
from typing import Any

from ..config import Settings
from ..datasets import get_dataset
from ..lake import Lake
from ..steps.run_record import build_run_record, write_run_record
from ..steps.timing import read_steps, write_step
from .context import run_date_of

log = logging.getLogger(__name__)


def _dataset_of(context: dict[str, Any]) -> str:
    params = context.get("params") or {}
    dag = context.get("dag")
    return params.get("dataset") or getattr(dag, "dag_id", "").removesuffix("_pipeline")


def record_failure(context: dict[str, Any]) -> None:
    """After a task's last try failed: mark its step failed, rewrite run.json, log a summary."""
    task_instance = context.get("ti") or context.get("task_instance")
    step = getattr(task_instance, "task_id", "unknown")
    dataset = _dataset_of(context)
    error = context.get("exception")
    run_date = "?"
    try:
        run_date = run_date_of(context)
        lake = Lake(Settings.load().lake_root)
        if read_steps(lake, dataset, run_date).get(step, {}).get("status") != "failed":
            result = {"step": step, "status": "failed", "error": str(error)[:2000]}
            write_step(lake, dataset, run_date, step, result)
        record = build_run_record(lake, dataset, get_dataset(dataset).tables, run_date)
        if record["status"] != "failed":  # e.g. the run_record step itself failed for good
            record.update(status="failed", error=f"{step}: {error}")
        write_run_record(lake, record)
    except Exception as exc:  # the callback must never hide the original failure
        log.warning("could not record the failure of %s: %s", step, exc)
    log.error(
        "PIPELINE FAILURE: dataset=%s date=%s step=%s try=%s error=%s",
        dataset,
        run_date,
        step,
        getattr(task_instance, "try_number", "?"),
        error,
    )
