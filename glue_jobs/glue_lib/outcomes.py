"""What happens to each parsed row, for any CSV dataset: valid, rejected or duplicate.

Generic over a dataset's rules (``COLUMNS``, ``KEY``, ``latest_first()``): cleaning has
already set ``reason`` (null for a clean row); here rows are classified, split into the
processed table and quarantine, and counted per file.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

VALID, REJECTED, DUPLICATE = "valid", "rejected", "duplicate"


def classify_rows(
    cleaned: DataFrame, files: DataFrame, key: str, latest_first: Sequence[Column]
) -> DataFrame:
    """Add ``outcome``: valid, rejected or duplicate.

    ``files`` has ``source_key``, ``file_order`` (landing order) and ``duplicate_file``.
    All rows of a duplicate file are duplicates. Among valid rows, one ``key`` keeps the
    first row in ``latest_first`` order; the others are duplicates.
    """
    joined = cleaned.join(F.broadcast(files), "source_key", "left").withColumn(
        "duplicate_file", F.coalesce(F.col("duplicate_file"), F.lit(False))
    )
    candidate = F.col("reason").isNull() & ~F.col("duplicate_file")
    window = Window.partitionBy(key, "_candidate").orderBy(*latest_first)
    ranked = joined.withColumn("_candidate", candidate).withColumn(
        "_rank", F.row_number().over(window)
    )
    outcome = (
        F.when(F.col("reason").isNotNull() & ~F.col("duplicate_file"), F.lit(REJECTED))
        .when(F.col("_candidate") & (F.col("_rank") == 1), F.lit(VALID))
        .otherwise(F.lit(DUPLICATE))
    )
    return ranked.withColumn("outcome", outcome).drop("_candidate", "_rank")


def processed_rows(classified: DataFrame, columns: Sequence[str]) -> DataFrame:
    """The processed table's rows: valid rows, contract columns plus lineage."""
    return classified.where(F.col("outcome") == VALID).select(*columns)


def quarantined_rows(classified: DataFrame, raw_columns: Sequence[str]) -> DataFrame:
    """Rejected rows with their raw fields, file key, line number and reason."""
    raw = [f"raw_{name}" for name in raw_columns]
    return classified.where(F.col("outcome") == REJECTED).select(
        "source_key", "source_line", "reason", *raw, "raw_record"
    )


def file_counts(classified: DataFrame) -> DataFrame:
    """Per file: rows read, valid, rejected and duplicate."""

    def count_of(outcome: str) -> Column:
        return F.sum(F.when(F.col("outcome") == outcome, 1).otherwise(0))

    return classified.groupBy("source_key").agg(
        F.count(F.lit(1)).alias("rows_read"),
        count_of(VALID).alias("rows_valid"),
        count_of(REJECTED).alias("rows_rejected"),
        count_of(DUPLICATE).alias("rows_duplicate"),
    )


def rejections_by_file_and_reason(classified: DataFrame) -> DataFrame:
    """Counts of rejected rows per (file, reason)."""
    return (
        classified.where(F.col("outcome") == REJECTED)
        .groupBy("source_key", "reason")
        .agg(F.count(F.lit(1)).alias("rows"))
    )
