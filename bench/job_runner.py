"""The Glue job side of the benchmark: the real job, then the real summary SQL.

    python -m bench.job_runner --lake <lake> --date 2024-03-01

1. ``glue_jobs/orders_job.py`` through ``pipeline.spark_submit.run_glue_script``, the very
   code path the local DAG's ``glue_job`` step uses (same command line, same
   ``glue_jobs/local-spark-conf``), on the manifest the trigger Lambda wrote;
2. the crawler step (``pipeline.steps.crawl.crawl_table``) over every processed table of
   the dataset (``DatasetSpec.tables``: ``orders`` and the ``order_totals`` aggregate the
   job rebuilds), as the ``crawl`` step does, then the Athena step's SQL (its views, if
   any, then ``sql/orders/revenue_by_month.sql``, which reads ``order_totals``),
   transpiled and run on DuckDB over the processed Parquet (``pipeline.query``), exactly
   as ``athena_summaries`` runs them.

The aggregation is the product's own (the Glue job cleans; Athena aggregates), so what is
timed is what a user waits for between the manifest and a revenue_by_month result.
"""

from __future__ import annotations

import argparse
import json
import logging
import time

from bench.measure import emit_result
from pipeline.config import Settings
from pipeline.datasets import get_dataset
from pipeline.glue_args import glue_arguments
from pipeline.lake import Lake
from pipeline.spark_submit import run_glue_script


def run(lake_root: str, run_date: str) -> dict:
    settings = Settings.load()
    lake = Lake(lake_root)
    spec = get_dataset("orders")
    started = time.monotonic()
    run_glue_script(spec.job_path, glue_arguments(lake, "orders", run_date), settings)
    job_done = time.monotonic()

    from pipeline.query import open_catalog_connection, run_trino_sql
    from pipeline.steps.athena import summary_sql_files, view_sql_files
    from pipeline.steps.crawl import crawl_table

    for table in spec.tables:
        crawl_table(lake, settings.glue_database, table)
    crawled = time.monotonic()
    connection = open_catalog_connection(lake, settings.glue_database)
    for sql in view_sql_files(spec.sql_dir).values():
        run_trino_sql(connection, sql, settings.glue_database)
    sql = summary_sql_files(spec.sql_dir)["revenue_by_month"]
    table = run_trino_sql(connection, sql, settings.glue_database)
    connection.close()
    finished = time.monotonic()

    with lake.fs.open(lake.run_file("orders", run_date, "job_counts.json")) as stream:
        counts = json.load(stream)
    rows = [
        {
            "order_month": row["order_month"],
            "orders": int(row["orders"]),
            "revenue": str(row["revenue"]),
            "average_order_value": None
            if row["average_order_value"] is None
            else str(row["average_order_value"]),
        }
        for row in table.to_pylist()
    ]
    return {
        "engine": "job",
        "timings": {
            "spark_submit": round(job_done - started, 2),
            "crawl": round(crawled - job_done, 2),
            "summary_sql": round(finished - crawled, 2),
        },
        "totals": counts["totals"],
        "rejections_by_reason": counts["rejections_by_reason"],
        "revenue_by_month": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--date", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    emit_result(run(args.lake, args.date))


if __name__ == "__main__":
    main()
