"""The Glue job flow every CSV dataset shares; a dataset only brings its rules module.

A rules module provides ``TABLE`` (processed table), ``COLUMNS`` (raw contract columns),
``PROCESSED_COLUMNS``, ``KEY`` (dedupe key), ``latest_first() -> list[Column]`` and its
cleaning, which adds cleaned columns and ``reason``: either Spark expressions,
``clean(records: DataFrame) -> DataFrame``, or vectorised Arrow rules,
``clean_table(records: pa.Table) -> pa.Table`` with the ``CLEANED_FIELDS`` it adds and
``LATEST_FIRST`` (the same order as Arrow sort keys), which run inside the parse step's
Python worker and stage each file as Parquet (``staging.py``); the processed table is then
written by the workers too (``latest_rows.py``; orders: bench/TUNING.md says what each
bought).

Reads the files the trigger Lambda accepted (the manifest), writes
``processed/<table>/run_date=D/`` and ``quarantine/<dataset>/rows/run_date=D/`` (each
replaced whole, so a re-run leaves no leftovers) and ``_runs/<dataset>/D/job_counts.json``.
"""

from __future__ import annotations

import json
import time
from types import ModuleType

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema

from . import latest_rows, layout, outcomes
from .args import parse_job_args
from .csv_records import qualified_uri, read_csv_records
from .lake_io import delete, read_text, write_text
from .run_counts import assemble_counts
from .session import build_spark, job_logger
from .staging import (
    Candidates,
    RawFile,
    arrow_filesystem,
    bucket_count,
    file_lineage,
    stage_cleaned_records,
    staging_folder,
)

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
    staging = staging_folder(root, dataset, run_date, args.get("TempDir", ""))
    processed_uri = layout.processed_partition(root, rules.TABLE, run_date)
    vectorised = hasattr(rules, "clean_table")
    if vectorised:
        # Vectorised rules: each file parsed, cleaned and written as Parquet by its Python
        # worker, its candidates bucketed by key for latest_rows (see staging.py).
        delete(spark, staging)  # what a killed run left behind
        delete(spark, f"{processed_uri}/{latest_rows.TEMPORARY}")
        candidates = Candidates(
            rules.KEY,
            latest_rows.candidate_columns(rules.PROCESSED_COLUMNS, rules.LATEST_FIRST),
            bucket_count(raw_files, spark.sparkContext.defaultParallelism),
        )
        cleaner = (rules.clean_table, rules.CLEANED_FIELDS)
        with_reason, counted = stage_cleaned_records(
            spark, root, raw_files, rules.COLUMNS, cleaner, staging, candidates
        )
        staged = outcomes.stage_rows(with_reason, None, rules.COLUMNS)
        duplicate = {f.key: f.duplicate_file for f in raw_files}
        tallies = [outcomes.tally(key, why, duplicate[key], n) for key, why, n in counted]
    else:
        # Spark rules: one parse, one cache, read by every output below (see outcomes.py).
        # On disk, not in the heap: column batches of a 500K-row file being built in
        # memory ran a 2 GB driver out of heap at 20M rows; on disk the heap stays flat
        # and the OS page cache keeps it fast (bench/TUNING.md).
        uris = {layout.raw_file(root, f.key): f.key for f in raw_files}
        cleaned = rules.clean(read_csv_records(spark, uris, rules.COLUMNS))
        staged = outcomes.stage_rows(cleaned, file_lineage(spark, raw_files), rules.COLUMNS)
        staged = staged.persist(StorageLevel.DISK_ONLY)
        tallies = [row.asDict() for row in outcomes.staged_tallies(staged).collect()]
    log.info("parsed, cleaned and staged in %.1fs", time.monotonic() - started)
    file_errors = {}
    if any(t[outcomes.MARKER] for t in tallies):
        markers = staged.where(F.col(outcomes.MARKER)).select(
            "source_key", outcomes.staged_raw_record(rules.COLUMNS)
        )
        file_errors = {row["source_key"]: row["raw_record"] for row in markers.collect()}

    if vectorised:
        valid_by_file = latest_rows.write_latest_rows(
            spark,
            arrow_filesystem(qualified_uri(spark, staging)),
            candidates.buckets,
            arrow_filesystem(qualified_uri(spark, processed_uri)),
            rules.KEY,
            rules.LATEST_FIRST,
            to_arrow_schema(with_reason.select(*rules.PROCESSED_COLUMNS).schema),
        )
    else:
        outcomes.ranked_valid_rows(
            staged, rules.KEY, rules.latest_first(), rules.PROCESSED_COLUMNS
        ).write.mode("overwrite").parquet(processed_uri)
        if "source_key" in rules.PROCESSED_COLUMNS:  # count what was stored: one column read
            stored = spark.read.schema("source_key string").parquet(processed_uri)
        else:
            stored = outcomes.ranked_valid_rows(
                staged, rules.KEY, rules.latest_first(), ("source_key",)
            )
        valid_by_file = _rows_by_file(stored)
    log.info("processed written at %.1fs", time.monotonic() - started)
    quarantine_uri = layout.quarantine_rows_partition(root, dataset, run_date)
    quarantine = outcomes.staged_quarantine_rows(staged, rules.COLUMNS)
    quarantine.coalesce(spark.sparkContext.defaultParallelism).write.mode("overwrite").parquet(
        quarantine_uri
    )
    per_file, per_reason = outcomes.counts_from_tallies(tallies, valid_by_file)
    counts = assemble_counts(readable, per_file, per_reason, file_errors)
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
    staged.unpersist()
    delete(spark, staging)
    return 0


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
