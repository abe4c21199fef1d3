"""Reading the run's identity out of an Airflow task context."""

from __future__ import annotations

from typing import Any


def run_date_of(context: dict[str, Any]) -> str:
    """The run's logical date as ``YYYY-MM-DD``.

    Scheduled and backfill runs have a logical date; asset-triggered runs in Airflow 3
    may not, and then the day the run was queued for (``run_after``) is used.
    """
    if context.get("ds"):
        return str(context["ds"])
    dag_run = context.get("dag_run")
    when = getattr(dag_run, "logical_date", None) or getattr(dag_run, "run_after", None)
    if when is None:
        raise ValueError("the run has neither a logical date nor run_after")
    return when.date().isoformat()
