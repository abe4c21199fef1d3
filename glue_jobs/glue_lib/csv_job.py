"""The Glue job flow every CSV dataset shares; a dataset only brings its rules module.

A rules module provides ``TABLE`` (processed table), ``COLUMNS`` (raw contract columns),
``PROCESSED_COLUMNS``, ``KEY`` (dedupe key), ``clean(records) -> DataFrame`` (adds
cleaned columns and ``reason``) and ``latest_first() -> list[Column]``.

Reads the files the trigger Lambda accepted (the manifest), writes
``processed/<table>/run_date=D/`` and ``quarantine/<dataset>/rows/run_date=D/`` (each
replaced whole, so a re-run leaves no leftovers) and ``_runs/<dataset>/D/job_counts.json``.
"""

from __future__ import annotations

import json
import time
from types import ModuleType

from pyspark import StorageLevel
from pyspark.sql import functions as F

from . import layout, outcomes
from .args import parse_job_args
from .csv_records import BAD_FILE, read_csv_records
from .lake_io import read_text, write_text
from .run_counts import assemble_counts
from .session import build_spark, job_logger

REQUIRED_ARGS = ("dataset", "lake_root", "run_date", "manifest")
READABLE = ("accepted", "duplicate_file")


def run_csv_job(rules: ModuleType, job_name: str, argv: list[str] | None = None) -> int:
    """Run one dataset's job for one run date; return the process exit code."""
    args = parse_job_args(REQUIRED_ARGS, argv)
    log = job_logger(job_name)
    started = time.monotonic()
    root, run_date, dataset = args["lake_root"].rstrip("/"), args["run_date"], args["dataset"]
    spark = build_spark(f"{job_name}_{run_date}")

    manifest = json.loads(read_text(spark, args["manifest"]))
    readable = [f for f in manifest["files"] if f["status"] in READABLE]
    log.info(
        "run %s: %d file(s) in manifest, %d to read",
        run_date,
        len(manifest["files"]),
        len(readable),
    )

    records = read_csv_records(
        spark, {layout.raw_file(root, f["key"]): f["key"] for f in readable}, rules.COLUMNS
    ).persist(StorageLevel.MEMORY_AND_DISK)
    files = spark.createDataFrame(
        [(f["key"], int(f["order"]), f["status"] == "duplicate_file") for f in readable],
        "source_key string, file_order int, duplicate_file boolean",
    )
    file_errors = {
        row["source_key"]: row["raw_record"]
        for row in records.where(F.col("parse_error") == BAD_FILE).collect()
    }
    rows = records.where(F.col("parse_error").isNull() | (F.col("parse_error") != BAD_FILE))
    classified = outcomes.classify_rows(
        rules.clean(rows), files, rules.KEY, rules.latest_first()
    ).persist(StorageLevel.MEMORY_AND_DISK)

    processed_uri = layout.processed_partition(root, rules.TABLE, run_date)
    outcomes.processed_rows(classified, rules.PROCESSED_COLUMNS).write.mode("overwrite").parquet(
        processed_uri
    )
    quarantine_uri = layout.quarantine_rows_partition(root, dataset, run_date)
    outcomes.quarantined_rows(classified, rules.COLUMNS).write.mode("overwrite").parquet(
        quarantine_uri
    )
    counts = assemble_counts(
        readable,
        [row.asDict() for row in outcomes.file_counts(classified).collect()],
        [row.asDict() for row in outcomes.rejections_by_file_and_reason(classified).collect()],
        file_errors,
    )
    counts.update(
        dataset=dataset, run_date=run_date, processed=processed_uri, quarantine=quarantine_uri
    )
    counts["rows_valid_by_table"] = {rules.TABLE: counts["totals"]["rows_valid"]}
    write_text(
        spark,
        layout.run_file(root, dataset, run_date, "job_counts.json"),
        json.dumps(counts, indent=2),
    )
    _log_counts(log, counts, time.monotonic() - started, processed_uri)
    classified.unpersist()
    records.unpersist()
    return 0


def _log_counts(log, counts: dict, seconds: float, processed_uri: str) -> None:
    for item in counts["files"]:
        log.info(
            "file %s: read=%d valid=%d rejected=%d duplicate=%d %s",
            item["key"],
            item["rows_read"],
            item["rows_valid"],
            item["rows_rejected"],
            item["rows_duplicate"],
            item["rejections_by_reason"] or "",
        )
    totals = counts["totals"]
    log.info(
        "done in %.1fs: read=%d valid=%d rejected=%d duplicate=%d -> %s",
        seconds,
        totals["rows_read"],
        totals["rows_valid"],
        totals["rows_rejected"],
        totals["rows_duplicate"],
        processed_uri,
    )
