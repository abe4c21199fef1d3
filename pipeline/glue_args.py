"""The Glue job arguments of a run, built in one place for both targets.

The same dictionaries become ``spark-submit`` arguments on the ``local`` target and the
``Arguments`` of ``StartJobRun`` (the ``script_args`` of the provider's ``GlueJobOperator``)
on the ``aws`` target, so the two cannot drift apart. Keys follow Glue's ``--key value``
convention; the job scripts read them with ``glue_lib.args.parse_job_args``.
``tests/aws/test_glue_args_contract.py`` checks every key against the scripts.
"""

from __future__ import annotations

from datetime import date

from .datasets import DatasetSpec
from .lake import Lake


def glue_arguments(lake: Lake, dataset: str, run_date: date | str) -> dict[str, str]:
    """Arguments of the dataset's clean job (what the trigger Lambda returns for the run)."""
    return {
        "--dataset": dataset,
        "--lake_root": lake.root,
        "--run_date": str(run_date),
        "--manifest": lake.run_file(dataset, str(run_date), "manifest.json"),
    }


def validation_arguments(
    spec: DatasetSpec,
    table: str,
    lake: Lake,
    run_date: date | str,
    expected_rows: int | None,
    suite_uri: str,
) -> dict[str, str]:
    """Arguments of the validation job for one processed table.

    A run table is validated in its ``run_date`` partition against the run's valid rows;
    an aggregate (``spec.aggregates``) as a whole table, with no expected row count.
    """
    arguments = {
        "--dataset": spec.name,
        "--table": table,
        "--lake_root": lake.root,
        "--run_date": str(run_date),
        "--suite_uri": suite_uri,
    }
    if spec.is_aggregate(table):
        arguments["--scope"] = "table"
    else:
        arguments["--expected_rows"] = str(expected_rows)
    return arguments


def expected_rows_by_table(spec: DatasetSpec, job_counts: dict) -> dict[str, int | None]:
    """Valid rows per processed table, from the clean job's ``job_counts.json``.

    The validation job's ``--expected_rows`` (its row-count expectation) on both targets;
    ``None`` for an aggregate table, whose row count is not checked.
    """
    by_table = job_counts.get("rows_valid_by_table")
    if by_table:
        expected = {table: int(rows) for table, rows in by_table.items()}
    else:
        expected = {spec.tables[0]: int(job_counts["totals"]["rows_valid"])}
    return {**expected, **dict.fromkeys(spec.aggregates)}


def suite_uri(spec: DatasetSpec, table: str, scripts_uri: str = "") -> str:
    """Where the validation job reads ``table``'s suite.

    Locally the repo's ``expectations/<table>.json``; on AWS the copy deployed beside the
    job scripts, ``<glue_scripts_uri>/expectations/<table>.json``.
    """
    if not scripts_uri:
        return str(spec.suite_path(table))
    return f"{scripts_uri.rstrip('/')}/expectations/{table}.json"
