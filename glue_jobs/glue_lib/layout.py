"""Where a job reads and writes under the lake root (mirror of ``pipeline.lake``).

Glue cannot import the orchestration package, so the few paths a job needs are
repeated here; ``tests/unit/test_layout_agreement.py`` keeps the copies in step.
"""

from __future__ import annotations

PARTITION_COLUMN = "run_date"


def processed_partition(lake_root: str, table: str, run_date: str) -> str:
    return f"{lake_root.rstrip('/')}/processed/{table}/{PARTITION_COLUMN}={run_date}"


def quarantine_rows_partition(lake_root: str, dataset: str, run_date: str) -> str:
    return f"{lake_root.rstrip('/')}/quarantine/{dataset}/rows/{PARTITION_COLUMN}={run_date}"


def run_file(lake_root: str, dataset: str, run_date: str, name: str) -> str:
    return f"{lake_root.rstrip('/')}/_runs/{dataset}/{run_date}/{name}"


def raw_file(lake_root: str, key: str) -> str:
    return f"{lake_root.rstrip('/')}/{key}"
