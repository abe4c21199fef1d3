"""Glue job ``salaries``: clean, quarantine, dedupe and store one run's raw HR salary exports.

Runs on AWS Glue 5.1 or locally with the same arguments::

    spark-submit glue_jobs/salaries_job.py --dataset salaries --lake_root lake \
        --run_date 2024-03-01 --manifest lake/_runs/salaries/2024-03-01/manifest.json

The flow is the shared CSV job (``glue_lib/csv_job.py``); the rules are
``glue_lib/salaries.py``. No aggregate table: its summaries need exact medians, which only
the rows themselves give.
"""

import sys

from glue_lib import salaries
from glue_lib.csv_job import REQUIRED_ARGS, run_csv_job
from glue_lib.dataset import CsvDataset

__all__ = ["REQUIRED_ARGS", "SALARIES"]

SALARIES = CsvDataset(
    name="salaries",
    table=salaries.TABLE,
    columns=salaries.COLUMNS,
    processed_columns=salaries.PROCESSED_COLUMNS,
    key=salaries.KEY,
    latest_first=salaries.latest_first,
    clean=salaries.clean,
)

if __name__ == "__main__":
    sys.exit(run_csv_job(SALARIES, "salaries_job"))
