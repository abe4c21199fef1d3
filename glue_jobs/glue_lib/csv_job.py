"""The Glue job flow every CSV dataset shares; a dataset brings its :class:`CsvDataset`.

Top to bottom, as a Glue script reads: arguments -> session -> manifest -> records ->
rules -> classify (valid / rejected / duplicate) -> write processed and quarantine ->
aggregates -> counts. Spark moves every row: the tokenizer streams the raw files into
``mapInArrow`` (:mod:`raw_files`), the rules are Spark expressions, the dedupe is a
``row_number`` window, and each output is written by ``DataFrameWriter`` with dynamic
partition overwrite through Spark's (on Glue: Glue's) output committer, so a re-run
replaces its ``run_date`` partition and nothing else.

Writes ``processed/<table>/run_date=D/``, ``quarantine/<dataset>/rows/run_date=D/``, each
aggregate's ``processed/<aggregate>/`` and ``_runs/<dataset>/D/job_counts.json``.

At 1 TB on 20 G.1X workers: the parsed rows are cached once on the executors' local disks
(``DISK_ONLY``, raw text kept for rejected rows only) and read three times (counts,
processed, quarantine) instead of tokenising the raw files three times; the dedupe
shuffles the valid rows once over local disk; the writes put one Parquet object per
shuffle partition (``spark.sql.shuffle.partitions``, coalesced by AQE) and per read task
for quarantine (coalesced to the core count), plus the committer's renames.
"""

from __future__ import annotations

import json
import time

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from . import layout, outcomes
from .args import parse_job_args
from .dataset import CsvDataset
from .lake_io import read_text, write_text
from .raw_files import ManifestFile, manifest_files, read_csv_records
from .run_counts import assemble_counts
from .run_partitions import stored_rows_by_file, write_run_partition
from .session import build_spark, job_logger

REQUIRED_ARGS = ("dataset", "lake_root", "run_date", "manifest")


def run_csv_job(dataset: CsvDataset, job_name: str, argv: list[str] | None = None) -> int:
    """Run one dataset's job for one run date; return the process exit code."""
    args = parse_job_args(REQUIRED_ARGS, argv)
    log = job_logger(job_name)
    started = time.monotonic()
    root, run_date = args["lake_root"].rstrip("/"), args["run_date"]
    spark = build_spark(f"{job_name}_{run_date}")

    def progress(done: str) -> None:
        log.info("%s at %.1fs", done, time.monotonic() - started)

    manifest = json.loads(read_text(spark, args["manifest"]))
    files = manifest_files(manifest)
    log.info(
        "run %s: %d file(s) in manifest, %d to read", run_date, len(manifest["files"]), len(files)
    )

    records = read_csv_records(spark, root, files, dataset.columns)
    cleaned = dataset.clean(records)
    rows = outcomes.stage_rows(cleaned, file_lineage(spark, files), dataset.columns)
    # Cached on disk, not in the heap: the heap stays flat whatever the run's size, and the
    # three reads below do not tokenise the raw files again (see the module docstring).
    rows = rows.persist(StorageLevel.DISK_ONLY)
    tallies = [row.asDict() for row in outcomes.staged_tallies(rows).collect()]
    file_errors = _bad_file_messages(rows, tallies, dataset.columns)
    tallies = [t for t in tallies if t["source_key"] not in file_errors]
    readable = rows.where(~F.col("source_key").isin(list(file_errors))) if file_errors else rows
    progress("parsed, cleaned and counted")

    processed = outcomes.ranked_valid_rows(
        readable, dataset.key, dataset.latest_first(), dataset.processed_columns
    )
    processed_root = layout.table_root(root, dataset.table)
    write_run_partition(processed, processed_root, run_date, outcomes.candidate_count(tallies))
    progress("processed written")
    quarantine = outcomes.staged_quarantine_rows(readable, dataset.columns)
    quarantine = quarantine.coalesce(spark.sparkContext.defaultParallelism)
    quarantine_root = layout.quarantine_rows_root(root, dataset.name)
    write_run_partition(quarantine, quarantine_root, run_date, outcomes.rejected_count(tallies))
    progress("quarantine written")
    rows.unpersist()

    valid_by_file = stored_rows_by_file(
        spark, layout.processed_partition(root, dataset.table, run_date)
    )
    for aggregate in dataset.aggregates:
        history = spark.read.parquet(processed_root)
        aggregate.build(history).write.mode("overwrite").parquet(
            layout.table_root(root, aggregate.table)
        )
        progress(f"{aggregate.table} rebuilt")

    per_file, per_reason = outcomes.counts_from_tallies(tallies, valid_by_file)
    counts = assemble_counts([f.key for f in files], per_file, per_reason, file_errors)
    counts.update(
        dataset=dataset.name,
        run_date=run_date,
        processed=layout.processed_partition(root, dataset.table, run_date),
        quarantine=layout.quarantine_rows_partition(root, dataset.name, run_date),
    )
    counts["rows_valid_by_table"] = {dataset.table: counts["totals"]["rows_valid"]}
    write_text(
        spark,
        layout.run_file(root, dataset.name, run_date, "job_counts.json"),
        json.dumps(counts, indent=2),
    )
    _log_counts(log, counts, time.monotonic() - started, counts["processed"])
    return 0


def file_lineage(spark: SparkSession, files: list[ManifestFile]) -> DataFrame:
    """``source_key``, ``file_order``, ``duplicate_file`` per file, joined to its rows."""
    return spark.createDataFrame(
        [(f.key, f.file_order, f.duplicate_file) for f in files],
        "source_key string, file_order int, duplicate_file boolean",
    )


def _bad_file_messages(
    rows: DataFrame, tallies: list[dict], columns: tuple[str, ...]
) -> dict[str, str]:
    """Why each unreadable file could not be read (its ``bad_file`` marker's text)."""
    if not any(t[outcomes.MARKER] for t in tallies):
        return {}
    markers = rows.where(F.col(outcomes.MARKER)).select(
        "source_key", outcomes.staged_raw_record(columns)
    )
    return {row["source_key"]: row["raw_record"] for row in markers.collect()}


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
