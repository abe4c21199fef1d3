"""A run's ``run_date`` partition of a lake table: replaced through Spark's committer.

Every job writes its outputs this way, so a re-run replaces its own partition and nothing
else, and a reader never sees a half-written one: ``DataFrameWriter`` with dynamic
partition overwrite writes the new files under the table's ``.spark-staging-<job>``
folder and the committer moves the finished partition into place (on Glue: Glue's
committer on S3). A job killed mid-write leaves only that hidden folder, which readers,
the crawler and Athena skip.

At 1 TB on 20 G.1X workers: one Parquet object per write task (shuffle partitions after
AQE's coalescing), plus one rename (on S3: copy and delete) per object at commit.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .lake_io import delete, exists
from .layout import PARTITION_COLUMN


def write_run_partition(rows: DataFrame, table_root: str, run_date: str, expected: int) -> None:
    """Replace the table's ``run_date`` partition with ``rows``.

    With no rows to write (``expected``, from the job's counts), the old partition is
    removed instead: a dynamic overwrite of nothing would leave it in place.
    """
    if expected == 0:
        delete(rows.sparkSession, f"{table_root}/{PARTITION_COLUMN}={run_date}")
        return
    (
        rows.withColumn(PARTITION_COLUMN, F.lit(run_date))
        .write.mode("overwrite")
        .partitionBy(PARTITION_COLUMN)
        .parquet(table_root)
    )


def stored_rows_by_file(spark: SparkSession, partition: str) -> dict[str, int]:
    """Rows per source file in a stored partition: the counts come from what was written."""
    if not exists(spark, partition):
        return {}
    stored = spark.read.schema("source_key string").parquet(partition)
    return {
        row["source_key"]: row["count"] for row in stored.groupBy("source_key").count().collect()
    }
