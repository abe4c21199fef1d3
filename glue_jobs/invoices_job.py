"""Glue job ``invoices``: parse, check, quarantine and store one run's text invoices.

Runs on AWS Glue 5.1 or locally with the same arguments::

    spark-submit glue_jobs/invoices_job.py --dataset invoices --lake_root lake \
        --run_date 2024-03-01 --manifest lake/_runs/invoices/2024-03-01/manifest.json

Every file the trigger Lambda listed is one record (one invoice): parsed
(``glue_lib.invoices``), checked, then valid, rejected (quarantined whole) or duplicate
(a ``duplicate_file``, or an earlier landing of an invoice number a later file of the
run replaces). Writes, each replaced whole on a re-run:

* ``processed/invoices/run_date=D/`` (headers) and ``processed/invoice_lines/run_date=D/``;
* ``quarantine/invoices/rows/run_date=D/`` (one row per rejected file: key, reason,
  detail) and a copy of each rejected file under ``quarantine/invoices/files/run_date=D/``;
* ``enriched/invoices/csv/invoice=<number>/part-*.csv``: each accepted invoice rendered as
  one CSV (header row; one row per line with the invoice's header fields repeated). Only
  that invoice's folder is replaced (dynamic partition overwrite), so a re-run or a re-sent
  invoice replaces its CSV and never doubles it; an invoice a *later* run date already
  replaced is not rendered again by a re-run of an earlier date;
* ``_runs/invoices/D/job_counts.json``.
"""

from __future__ import annotations

import json
import sys
import time

from glue_lib import invoices, layout, outcomes
from glue_lib.args import parse_job_args
from glue_lib.lake_io import copy_file, exists, read_text, write_text
from glue_lib.run_partitions import write_run_partition
from glue_lib.session import build_spark, job_logger
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

REQUIRED_ARGS = ("dataset", "lake_root", "run_date", "manifest")
READABLE = ("accepted", "duplicate_file")
CSV_FOLDER = "csv"
CSV_PARTITION = "invoice"


def main(argv: list[str] | None = None) -> int:
    args = parse_job_args(REQUIRED_ARGS, argv)
    log = job_logger("invoices_job")
    started = time.monotonic()
    root, run_date, dataset = args["lake_root"].rstrip("/"), args["run_date"], args["dataset"]
    spark = build_spark(f"invoices_job_{run_date}")

    manifest = json.loads(read_text(spark, args["manifest"]))
    files = manifest["files"]
    readable = [f for f in files if f["status"] in READABLE]
    refused = [(f["key"], f.get("detail") or f["status"]) for f in files if f not in readable]
    log.info("run %s: %d file(s), %d to parse", run_date, len(files), len(readable))

    records = invoices.read_invoices(
        spark, {layout.raw_file(root, f["key"]): f["key"] for f in readable}
    ).unionByName(invoices.unreadable_records(spark, refused))
    file_frame = spark.createDataFrame(
        [(f["key"], int(f["order"]), f["status"] == "duplicate_file") for f in files],
        "source_key string, file_order int, duplicate_file boolean",
    )
    classified = outcomes.classify_rows(
        invoices.clean_invoices(records), file_frame, invoices.KEY, invoices.latest_first()
    ).persist(StorageLevel.MEMORY_AND_DISK)
    valid = classified.where(F.col("outcome") == outcomes.VALID)
    rejected = classified.where(F.col("outcome") == outcomes.REJECTED)

    per_file = [
        row.asDict()
        for row in classified.select(
            "source_key", "outcome", "reason", "detail", "invoice_number", "line_count"
        ).collect()
    ]
    valid_files = [o for o in per_file if o["outcome"] == outcomes.VALID]
    expected = {
        invoices.HEADER_TABLE: len(valid_files),
        invoices.LINES_TABLE: sum(o["line_count"] or 0 for o in valid_files),
    }
    tables = {
        invoices.HEADER_TABLE: invoices.header_rows(valid),
        invoices.LINES_TABLE: invoices.line_rows(valid),
    }
    for table, rows in tables.items():
        write_run_partition(rows, layout.table_root(root, table), run_date, expected[table])
    processed = {table: layout.processed_partition(root, table, run_date) for table in tables}
    quarantine_uri = layout.quarantine_rows_partition(root, dataset, run_date)
    write_run_partition(
        invoices.quarantine_rows(rejected),
        layout.quarantine_rows_root(root, dataset),
        run_date,
        sum(o["outcome"] == outcomes.REJECTED for o in per_file),
    )

    counts = invoices.run_counts(files, per_file)
    copied = quarantine_rejected_files(spark, root, dataset, run_date, per_file, readable)
    rendered = render_csv(spark, valid, root, dataset, run_date)

    counts.update(
        dataset=dataset,
        run_date=run_date,
        processed=processed[invoices.HEADER_TABLE],
        processed_by_table=processed,
        quarantine=quarantine_uri,
        csv=layout.enriched(root, dataset, CSV_FOLDER),
        csv_invoices_rendered=rendered,
        quarantined_files_copied=copied,
    )
    write_text(
        spark,
        layout.run_file(root, dataset, run_date, "job_counts.json"),
        json.dumps(counts, indent=2),
    )
    _log_counts(log, counts, time.monotonic() - started)
    classified.unpersist()
    return 0


def quarantine_rejected_files(
    spark: SparkSession,
    root: str,
    dataset: str,
    run_date: str,
    per_file: list[dict],
    readable: list[dict],
) -> int:
    """Copy each file the rules rejected next to the Lambda's ``bad_file`` copies."""
    parsed = {f["key"] for f in readable if f["status"] == "accepted"}
    rejected = [
        o["source_key"]
        for o in per_file
        if o["outcome"] == outcomes.REJECTED and o["source_key"] in parsed
    ]
    for key in rejected:
        copy_file(
            spark,
            layout.raw_file(root, key),
            layout.quarantine_file(root, dataset, run_date, key),
        )
    return len(rejected)


def newer_elsewhere(spark: SparkSession, root: str, run_date: str) -> DataFrame | None:
    """Invoice numbers a later run date already holds (their newer version wins)."""
    table = f"{root}/processed/{invoices.HEADER_TABLE}"
    if not exists(spark, table):
        return None
    stored = spark.read.parquet(table)
    return (
        stored.where(F.col(layout.PARTITION_COLUMN).cast("string") > F.lit(run_date))
        .select(invoices.KEY)
        .distinct()
    )


def render_csv(spark: SparkSession, valid: DataFrame, root: str, dataset: str, run_date: str):
    """One CSV per accepted invoice under ``enriched/<dataset>/csv/invoice=<number>/``."""
    rows = invoices.csv_rows(valid)
    newer = newer_elsewhere(spark, root, run_date)
    if newer is not None:
        rows = rows.join(newer, invoices.KEY, "left_anti")
    rendered = rows.select(invoices.KEY).distinct().count()
    (
        rows.withColumn(CSV_PARTITION, F.col(invoices.KEY))
        .repartition(CSV_PARTITION)
        .sortWithinPartitions(CSV_PARTITION, "line_number")
        .write.mode("overwrite")  # dynamic partition overwrite: only these invoices' folders
        .partitionBy(CSV_PARTITION)
        .option("header", True)
        .option("escape", '"')  # RFC 4180: a quote inside a value is doubled
        .option("encoding", "UTF-8")
        .csv(layout.enriched(root, dataset, CSV_FOLDER))
    )
    return rendered


def _log_counts(log, counts: dict, seconds: float) -> None:
    for item in counts["files"]:
        if item.get("reason"):
            log.info("file %s: %s %s", item["key"], item["reason"], item.get("detail") or "")
    totals = counts["totals"]
    log.info(
        "done in %.1fs: files read=%d valid=%d rejected=%d duplicate=%d; lines valid=%d",
        seconds,
        totals["rows_read"],
        totals["rows_valid"],
        totals["rows_rejected"],
        totals["rows_duplicate"],
        counts["totals_extra"]["lines_valid"],
    )


if __name__ == "__main__":
    sys.exit(main())
