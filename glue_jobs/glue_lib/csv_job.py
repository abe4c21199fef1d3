"""The Glue job flow every CSV dataset shares; a dataset only brings its rules module.

A rules module provides ``TABLE`` (processed table), ``COLUMNS`` (raw contract columns),
``PROCESSED_COLUMNS``, ``KEY`` (dedupe key), ``latest_first() -> list[Column]`` and its
cleaning, which adds cleaned columns and ``reason``: either Spark expressions,
``clean(records: DataFrame) -> DataFrame``, or vectorised Arrow rules,
``clean_table(records: pa.Table) -> pa.Table`` with the ``CLEANED_FIELDS`` it adds and
``LATEST_FIRST`` (the same order as Arrow sort keys), which run inside the parse step's
Python worker; that worker also writes the rejected rows to quarantine and stages the
others by key (``staging.py``), and the workers then keep the latest row per key and write
the processed table (``latest_rows.py``): Spark only schedules them (orders:
bench/TUNING.md says what each step bought).

Reads the files the trigger Lambda accepted (the manifest), writes
``processed/<table>/run_date=D/`` and ``quarantine/<dataset>/rows/run_date=D/`` (each
replaced whole, so a re-run leaves no leftovers) and ``_runs/<dataset>/D/job_counts.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from types import ModuleType
from typing import NamedTuple

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from . import latest_rows, layout, outcomes
from .args import parse_job_args
from .csv_records import read_csv_records
from .lake_io import delete, read_text, write_text
from .run_counts import assemble_counts
from .session import build_spark, job_logger
from .staging import (
    Candidates,
    RawFile,
    bucket_count,
    file_lineage,
    quarantine_schema,
    stage_cleaned_records,
    staged_table_schema,
    staging_folder,
    worker_location,
)
from .worker_parquet import replace_partition, temporary_folder

REQUIRED_ARGS = ("dataset", "lake_root", "run_date", "manifest")
OPTIONAL_ARGS = {"TempDir": ""}  # Glue's own scratch folder; staged files go there on AWS
READABLE = ("accepted", "duplicate_file")


def run_csv_job(rules: ModuleType, job_name: str, argv: list[str] | None = None) -> int:
    """Run one dataset's job for one run date; return the process exit code."""
    args = parse_job_args(REQUIRED_ARGS, argv, OPTIONAL_ARGS)
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

    raw_files = [
        RawFile(f["key"], int(f["size"]), int(f["order"]), f["status"] == "duplicate_file")
        for f in readable
    ]
    paths = _Paths(
        root,
        staging_folder(root, dataset, run_date, args.get("TempDir", "")),
        layout.processed_partition(root, rules.TABLE, run_date),
        layout.quarantine_rows_partition(root, dataset, run_date),
    )

    def progress(done: str) -> None:
        log.info("%s at %.1fs", done, time.monotonic() - started)

    write_outputs = _vectorised_outputs if hasattr(rules, "clean_table") else _spark_outputs
    tallies, valid_by_file, file_errors = write_outputs(spark, rules, raw_files, paths, progress)

    per_file, per_reason = outcomes.counts_from_tallies(tallies, valid_by_file)
    counts = assemble_counts(readable, per_file, per_reason, file_errors)
    counts.update(
        dataset=dataset, run_date=run_date, processed=paths.processed, quarantine=paths.quarantine
    )
    counts["rows_valid_by_table"] = {rules.TABLE: counts["totals"]["rows_valid"]}
    write_text(
        spark,
        layout.run_file(root, dataset, run_date, "job_counts.json"),
        json.dumps(counts, indent=2),
    )
    _log_counts(log, counts, time.monotonic() - started, paths.processed)
    return 0


class _Paths(NamedTuple):
    root: str
    staging: str
    processed: str
    quarantine: str


Outputs = tuple[list[dict], dict[str, int], dict[str, str]]  # tallies, valid by file, errors
Progress = Callable[[str], None]  # logs what is done, with the time since the job started


def _vectorised_outputs(
    spark: SparkSession,
    rules: ModuleType,
    raw_files: list[RawFile],
    paths: _Paths,
    progress: Progress,
) -> Outputs:
    """Vectorised rules: the Python workers parse, clean and write everything (staging.py,
    latest_rows.py); Spark schedules them and the driver commits the two partitions."""
    leftovers = (paths.processed, paths.quarantine)
    for leftover in (paths.staging, *map(temporary_folder, leftovers)):
        delete(spark, leftover)  # what a killed run left behind
    candidates = Candidates(
        rules.KEY,
        latest_rows.candidate_columns(rules.PROCESSED_COLUMNS, rules.LATEST_FIRST),
        bucket_count(raw_files, spark.sparkContext.defaultParallelism),
    )
    counted = stage_cleaned_records(
        spark,
        paths.root,
        raw_files,
        rules.COLUMNS,
        rules.clean_table,
        (paths.staging, candidates, paths.quarantine),
    )
    duplicate = {f.key: f.duplicate_file for f in raw_files}
    tallies = [outcomes.tally(key, why, duplicate[key], n) for key, why, n, _ in counted]
    file_errors = {key: message for key, _, _, message in counted if message is not None}
    progress("parsed, cleaned, staged and quarantined")
    valid_by_file = latest_rows.write_latest_rows(
        spark,
        worker_location(spark, paths.staging),
        candidates.buckets,
        worker_location(spark, paths.processed),
        rules.KEY,
        rules.LATEST_FIRST,
        staged_table_schema(rules.CLEANED_FIELDS, rules.PROCESSED_COLUMNS),
    )
    filesystem, quarantine = worker_location(spark, paths.quarantine)
    replace_partition(filesystem, quarantine, quarantine_schema(rules.COLUMNS))
    progress("processed and quarantine partitions replaced")
    delete(spark, paths.staging)
    return tallies, valid_by_file, file_errors


def _spark_outputs(
    spark: SparkSession,
    rules: ModuleType,
    raw_files: list[RawFile],
    paths: _Paths,
    progress: Progress,
) -> Outputs:
    """Spark rules: one parse, one cache, read by every output (see outcomes.py).

    Cached on disk, not in the heap: column batches of a 500K-row file being built in
    memory ran a 2 GB driver out of heap at 20M rows; on disk the heap stays flat and the
    OS page cache keeps it fast (bench/TUNING.md).
    """
    uris = {layout.raw_file(paths.root, f.key): f.key for f in raw_files}
    cleaned = rules.clean(read_csv_records(spark, uris, rules.COLUMNS))
    staged = outcomes.stage_rows(cleaned, file_lineage(spark, raw_files), rules.COLUMNS)
    staged = staged.persist(StorageLevel.DISK_ONLY)
    tallies = [row.asDict() for row in outcomes.staged_tallies(staged).collect()]
    progress("parsed, cleaned and staged")
    file_errors = {}
    if any(t[outcomes.MARKER] for t in tallies):
        markers = staged.where(F.col(outcomes.MARKER)).select(
            "source_key", outcomes.staged_raw_record(rules.COLUMNS)
        )
        file_errors = {row["source_key"]: row["raw_record"] for row in markers.collect()}

    outcomes.ranked_valid_rows(
        staged, rules.KEY, rules.latest_first(), rules.PROCESSED_COLUMNS
    ).write.mode("overwrite").parquet(paths.processed)
    progress("processed written")
    if "source_key" in rules.PROCESSED_COLUMNS:  # count what was stored: one column read
        stored = spark.read.schema("source_key string").parquet(paths.processed)
    else:
        stored = outcomes.ranked_valid_rows(
            staged, rules.KEY, rules.latest_first(), ("source_key",)
        )
    quarantine = outcomes.staged_quarantine_rows(staged, rules.COLUMNS)
    quarantine.coalesce(spark.sparkContext.defaultParallelism).write.mode("overwrite").parquet(
        paths.quarantine
    )
    valid_by_file = _rows_by_file(stored)
    staged.unpersist()
    return tallies, valid_by_file, file_errors


def _rows_by_file(rows: DataFrame) -> dict[str, int]:
    counted = rows.groupBy("source_key").count().collect()
    return {row["source_key"]: row["count"] for row in counted}


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
