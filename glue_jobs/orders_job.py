"""Glue job ``orders``: clean, quarantine, dedupe and store one run's raw order files.

Run on AWS Glue 5.1 or locally, with the same arguments::

    spark-submit glue_jobs/orders_job.py --dataset orders --lake_root lake \
        --run_date 2024-03-01 --manifest lake/_runs/orders/2024-03-01/manifest.json

Reads the files the trigger Lambda accepted (the manifest), writes
``processed/orders/run_date=D/`` and ``quarantine/orders/rows/run_date=D/`` (each
replaced whole, so a re-run leaves no leftovers) and ``_runs/orders/D/job_counts.json``.
"""

from __future__ import annotations

import json
import sys
import time

from glue_lib import layout
from glue_lib.args import parse_job_args
from glue_lib.countries import country_lookup
from glue_lib.csv_records import BAD_FILE, read_csv_records
from glue_lib.lake_io import read_text, write_text
from glue_lib.orders import (
    COLUMNS,
    classify_rows,
    clean_orders,
    file_counts,
    processed_rows,
    quarantined_rows,
    rejections_by_file_and_reason,
)
from glue_lib.run_counts import assemble_counts
from glue_lib.session import build_spark, job_logger
from pyspark import StorageLevel
from pyspark.sql import functions as F

REQUIRED_ARGS = ("dataset", "lake_root", "run_date", "manifest")
READABLE = ("accepted", "duplicate_file")


def main(argv: list[str] | None = None) -> int:
    args = parse_job_args(REQUIRED_ARGS, argv)
    log = job_logger("orders_job")
    started = time.monotonic()
    root, run_date, dataset = args["lake_root"].rstrip("/"), args["run_date"], args["dataset"]
    spark = build_spark(f"{dataset}_job_{run_date}")

    manifest = json.loads(read_text(spark, args["manifest"]))
    readable = [f for f in manifest["files"] if f["status"] in READABLE]
    log.info(
        "run %s: %d file(s) in manifest, %d to read",
        run_date,
        len(manifest["files"]),
        len(readable),
    )

    records = read_csv_records(
        spark, {layout.raw_file(root, f["key"]): f["key"] for f in readable}, COLUMNS
    )
    files = spark.createDataFrame(
        [(f["key"], int(f["order"]), f["status"] == "duplicate_file") for f in readable],
        "source_key string, file_order int, duplicate_file boolean",
    )
    countries = spark.createDataFrame(sorted(country_lookup().items()), "name string, code string")

    records = records.persist(StorageLevel.MEMORY_AND_DISK)
    file_errors = {
        row["source_key"]: row["raw_record"]
        for row in records.where(F.col("parse_error") == BAD_FILE).collect()
    }
    rows = records.where(F.col("parse_error").isNull() | (F.col("parse_error") != BAD_FILE))
    classified = classify_rows(clean_orders(rows, countries), files).persist(
        StorageLevel.MEMORY_AND_DISK
    )

    processed_uri = layout.processed_partition(root, dataset, run_date)
    processed_rows(classified).write.mode("overwrite").parquet(processed_uri)
    quarantine_uri = layout.quarantine_rows_partition(root, dataset, run_date)
    quarantined_rows(classified).write.mode("overwrite").parquet(quarantine_uri)

    counts = assemble_counts(
        readable,
        [row.asDict() for row in file_counts(classified).collect()],
        [row.asDict() for row in rejections_by_file_and_reason(classified).collect()],
        file_errors,
    )
    counts.update(
        dataset=dataset, run_date=run_date, processed=processed_uri, quarantine=quarantine_uri
    )
    write_text(
        spark,
        layout.run_file(root, dataset, run_date, "job_counts.json"),
        json.dumps(counts, indent=2),
    )

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
        time.monotonic() - started,
        totals["rows_read"],
        totals["rows_valid"],
        totals["rows_rejected"],
        totals["rows_duplicate"],
        processed_uri,
    )
    classified.unpersist()
    records.unpersist()
    return 0


if __name__ == "__main__":
    sys.exit(main())
