"""Glue job ``orders``: clean, quarantine, dedupe and store one run's raw order files.

Runs on AWS Glue 5.1 or locally with the same arguments::

    spark-submit glue_jobs/orders_job.py --dataset orders --lake_root lake \
        --run_date 2024-03-01 --manifest lake/_runs/orders/2024-03-01/manifest.json

The flow is the shared CSV job (``glue_lib/csv_job.py``); the rules are ``glue_lib/orders.py``.
"""

import sys

from glue_lib import aggregates, orders
from glue_lib.csv_job import REQUIRED_ARGS, run_csv_job
from glue_lib.dataset import Aggregate, CsvDataset

__all__ = ["ORDERS", "REQUIRED_ARGS"]

ORDERS = CsvDataset(
    name="orders",
    table=orders.TABLE,
    columns=orders.COLUMNS,
    processed_columns=orders.PROCESSED_COLUMNS,
    key=orders.KEY,
    latest_first=orders.latest_first,
    clean=orders.clean,
    aggregates=(Aggregate("order_totals", aggregates.order_totals),),
)

if __name__ == "__main__":
    sys.exit(run_csv_job(ORDERS, "orders_job"))
