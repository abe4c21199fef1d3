"""Per-step status and timing, written by each step into the run's folder.

``_runs/<dataset>/<date>/steps/<step>.json`` holds status, start, end and seconds; the
run record step merges them. Written by the step itself, so the record does not depend
on which scheduler ran the steps.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from ..lake import Lake

STEPS = (
    "sense_new_files",
    "trigger_lambda",
    "glue_job",
    "validate",
    "load_postgres",  # only datasets with a PostgreSQL sink (DatasetSpec.sinks)
    "crawl",
    "athena_summaries",
    "run_record",
)


class StepSkipped(Exception):
    """Raised inside a step to end it as skipped (nothing to do)."""


class InjectedFault(RuntimeError):
    """A failure injected on purpose by the reliability tests (``PIPELINE_INJECT_FAULTS``)."""


def _inject_fault_once(lake: Lake, dataset: str, run_date: str, step: str) -> None:
    """Fail a step's first attempt when ``PIPELINE_INJECT_FAULTS`` names it (tests only).

    Off unless the variable is set; each named step fails once per run date, so the retry
    shows the step recovers with output identical to a clean run.
    """
    if step not in os.environ.get("PIPELINE_INJECT_FAULTS", "").split(","):
        return
    marker = lake.uri("_runs", dataset, run_date, "injected_faults", step)
    if not lake.fs.exists(marker):
        lake.fs.makedirs(marker.rsplit("/", 1)[0], exist_ok=True)
        lake.fs.touch(marker)
        raise InjectedFault(f"fault injected into {step} (first attempt)")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds")


def write_step(lake: Lake, dataset: str, run_date: str, step: str, result: dict) -> None:
    uri = lake.uri("_runs", dataset, run_date, "steps", f"{step}.json")
    lake.fs.makedirs(uri.rsplit("/", 1)[0], exist_ok=True)
    with lake.fs.open(uri, "w") as stream:
        json.dump(result, stream, indent=2)


def read_steps(lake: Lake, dataset: str, run_date: str) -> dict[str, dict]:
    """Step results of the current attempt at this run, keyed by step name."""
    results = {}
    for step in STEPS:
        uri = lake.uri("_runs", dataset, run_date, "steps", f"{step}.json")
        if lake.fs.exists(uri):
            with lake.fs.open(uri) as stream:
                results[step] = json.load(stream)
    return results


def clear_steps(lake: Lake, dataset: str, run_date: str) -> None:
    """Forget the step results of an earlier attempt (a new run of the date starts)."""
    uri = lake.uri("_runs", dataset, run_date, "steps")
    if lake.fs.exists(uri):
        lake.fs.rm(uri, recursive=True)


@contextmanager
def timed_step(lake: Lake, dataset: str, run_date: str, step: str) -> Iterator[dict]:
    """Time the body; record success, skipped (StepSkipped) or failed (any error)."""
    started = time.time()
    result: dict = {"step": step, "started_at": _iso(started)}
    earlier = read_steps(lake, dataset, run_date).get(step)
    if earlier and earlier.get("status") == "failed":  # a retry: keep what happened before
        result["earlier_attempts"] = [*earlier.pop("earlier_attempts", []), earlier]
    try:
        _inject_fault_once(lake, dataset, run_date, step)
        yield result
    except StepSkipped as exc:
        result.update(status="skipped", detail=str(exc))
        raise
    except BaseException as exc:
        result.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    else:
        result["status"] = "success"
    finally:
        finished = time.time()
        result.update(finished_at=_iso(finished), seconds=round(finished - started, 3))
        write_step(lake, dataset, run_date, step, result)
