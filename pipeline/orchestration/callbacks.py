"""Task callbacks: a failed task always leaves a trace in the run's folder and the log."""

from __future__ import annotations

import logging
from typing import Any

from ..config import Settings
from ..lake import Lake
from ..steps.timing import read_steps, write_step
from .context import run_date_of

log = logging.getLogger(__name__)


def record_failure(context: dict[str, Any]) -> None:
    """On task failure: make sure the step is recorded as failed and say so plainly."""
    task_instance = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    step = getattr(task_instance, "task_id", "unknown")
    dataset = (getattr(dag, "params", None) or {}).get("dataset") or getattr(
        dag, "dag_id", ""
    ).removesuffix("_pipeline")
    error = context.get("exception")
    try:
        run_date = run_date_of(context)
        lake = Lake(Settings.load().lake_root)
        if read_steps(lake, dataset, run_date).get(step, {}).get("status") != "failed":
            write_step(
                lake,
                dataset,
                run_date,
                step,
                {"step": step, "status": "failed", "error": str(error)[:2000]},
            )
    except Exception as exc:  # the callback must never hide the original failure
        log.warning("could not record the failure of %s: %s", step, exc)
        run_date = "?"
    log.error(
        "PIPELINE FAILURE: dataset=%s date=%s step=%s try=%s error=%s",
        dataset,
        run_date,
        step,
        getattr(task_instance, "try_number", "?"),
        error,
    )
