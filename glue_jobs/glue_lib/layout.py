"""Where a job reads and writes under the lake root (mirror of ``pipeline.lake``).

Glue cannot import the orchestration package, so the few paths a job needs are
repeated here; ``tests/unit/test_layout_agreement.py`` keeps the copies in step.
"""

from __future__ import annotations

PARTITION_COLUMN = "run_date"


def table_root(lake_root: str, table: str) -> str:
    return f"{lake_root.rstrip('/')}/processed/{table}"


def quarantine_rows_root(lake_root: str, dataset: str) -> str:
    return f"{lake_root.rstrip('/')}/quarantine/{dataset}/rows"


def processed_partition(lake_root: str, table: str, run_date: str) -> str:
    return f"{table_root(lake_root, table)}/{PARTITION_COLUMN}={run_date}"


def quarantine_rows_partition(lake_root: str, dataset: str, run_date: str) -> str:
    return f"{quarantine_rows_root(lake_root, dataset)}/{PARTITION_COLUMN}={run_date}"


def run_file(lake_root: str, dataset: str, run_date: str, name: str) -> str:
    return f"{lake_root.rstrip('/')}/_runs/{dataset}/{run_date}/{name}"


def raw_file(lake_root: str, key: str) -> str:
    return f"{lake_root.rstrip('/')}/{key}"


def quarantine_file(lake_root: str, dataset: str, run_date: str, key: str) -> str:
    """Where a whole rejected raw file is copied (as the trigger Lambda copies bad files)."""
    prefix = f"raw/{dataset}/"
    relative = key[len(prefix) :] if key.startswith(prefix) else key
    folder = f"{lake_root.rstrip('/')}/quarantine/{dataset}/files/{PARTITION_COLUMN}={run_date}"
    return f"{folder}/{relative}"


def enriched(lake_root: str, dataset: str, name: str) -> str:
    return f"{lake_root.rstrip('/')}/enriched/{dataset}/{name}"


def validation_file_name(dataset: str, table: str) -> str:
    """``validation.json`` for a dataset's own table, ``validation_<table>.json`` for others
    (a dataset with several processed tables keeps one report per table)."""
    return "validation.json" if table == dataset else f"validation_{table}.json"
