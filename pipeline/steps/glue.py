"""Glue steps on the local target: the dataset's job and the validation job via spark-submit."""

from __future__ import annotations

import json
import logging
from datetime import date

from ..config import REPO_ROOT, Settings
from ..datasets import DatasetSpec
from ..glue_args import suite_uri, validation_arguments
from ..lake import Lake
from ..spark_submit import run_glue_script

log = logging.getLogger(__name__)
VALIDATE_SCRIPT = REPO_ROOT / "glue_jobs" / "validate_job.py"


def run_clean_job_local(
    spec: DatasetSpec, glue_arguments: dict[str, str], settings: Settings
) -> dict:
    """Run the dataset's Glue job; return the per-file counts it wrote."""
    run_glue_script(spec.job_path, glue_arguments, settings)
    lake = Lake(glue_arguments["--lake_root"])
    counts_uri = lake.run_file(spec.name, glue_arguments["--run_date"], "job_counts.json")
    with lake.fs.open(counts_uri) as stream:
        counts = json.load(stream)
    log.info("job totals: %s", counts["totals"])
    return counts


def run_validation_local(
    spec: DatasetSpec,
    lake: Lake,
    run_date: date,
    expected_rows: dict[str, int | None],
    settings: Settings,
) -> dict:
    """Validate every processed table of the run with its GX suite.

    A run table's ``run_date`` partition is checked against its expected row count; an
    aggregate (``spec.aggregates``) is validated whole and needs none.
    """
    results = {}
    for table in spec.tables:
        expected = None if spec.is_aggregate(table) else expected_rows[table]
        arguments = validation_arguments(
            spec, table, lake, run_date, expected, suite_uri(spec, table)
        )
        run_glue_script(VALIDATE_SCRIPT, arguments, settings)
        with lake.fs.open(lake.validation_file(spec.name, str(run_date), table)) as stream:
            results[table] = json.load(stream)
    return results
