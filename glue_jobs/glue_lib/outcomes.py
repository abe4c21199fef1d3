"""What happens to each parsed row, for any CSV dataset: valid, rejected or duplicate.

Generic over a dataset's rules (``COLUMNS``, ``KEY``, ``latest_first()``): cleaning has
already set ``reason`` (null for a clean row); here rows are classified, split into the
processed table and quarantine, and counted per file.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from .csv_records import BAD_FILE

RAW_FIELDS = "raw_fields"  # raw_<column>... then raw_record, in one list (staged rows)

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


# --- one cached pass: the flow the shared CSV job uses ------------------------------------
# ``classify_rows`` ranks every row (rejected ones and their raw text included) in one wide
# shuffle. The functions below give the same outcomes with less data moved: rows are staged
# once (raw text kept only where quarantine needs it) and cached, only valid candidates go
# through the dedupe shuffle, and counts come from small aggregates.

CANDIDATE = "_candidate"
REJECTED_ROW = "_rejected"
MARKER = "_bad_file_marker"


def stage_rows(cleaned: DataFrame, files: DataFrame, raw_columns: Sequence[str]) -> DataFrame:
    """Cleaned rows plus ``file_order``, ``duplicate_file`` (from ``files``) and three
    flags, ready to cache.

    ``cleaned`` may hold the whole-file ``bad_file`` marker rows of the parser (flagged
    ``_bad_file_marker``; they are never counted, ranked or quarantined). ``_rejected``
    and ``_candidate`` are what :func:`classify_rows` calls rejected and "ranked among
    valid rows". Raw text is only needed by quarantine, so it is kept for rejected and
    marker rows only, packed into one list column (``raw_fields``: ``raw_<column>``...
    then ``raw_record``).
    """
    joined = cleaned.join(F.broadcast(files), "source_key", "left")
    duplicate_file = F.coalesce(F.col("duplicate_file"), F.lit(False))
    marker = F.coalesce(F.col("reason") == BAD_FILE, F.lit(False))
    rejected = F.col("reason").isNotNull() & ~duplicate_file & ~marker
    candidate = F.col("reason").isNull() & ~duplicate_file & ~marker
    raw = [f"raw_{name}" for name in raw_columns] + ["raw_record"]
    columns = [
        duplicate_file.alias(name) if name == "duplicate_file" else F.col(name)
        for name in joined.columns
        if name not in {*raw, "parse_error"}
    ]
    return joined.select(
        *columns,
        F.when(rejected | marker, F.array(*raw)).alias(RAW_FIELDS),
        marker.alias(MARKER),
        rejected.alias(REJECTED_ROW),
        candidate.alias(CANDIDATE),
    )


def ranked_valid_rows(
    staged: DataFrame, key: str, latest_first: Sequence[Column], columns: Sequence[str]
) -> DataFrame:
    """The processed table's rows: per ``key``, the first candidate in ``latest_first``
    order (what :func:`processed_rows` of :func:`classify_rows` gives). Only candidates,
    without their raw text, go through the shuffle."""
    narrow = staged.where(F.col(CANDIDATE)).drop(RAW_FIELDS)
    window = Window.partitionBy(key).orderBy(*latest_first)
    return (
        narrow.withColumn("_rank", F.row_number().over(window))
        .where(F.col("_rank") == 1)
        .select(*columns)
    )


def staged_raw_record(raw_columns: Sequence[str]) -> Column:
    """A staged row's ``raw_record`` (the whole record's text, or a bad file's message)."""
    return F.col(RAW_FIELDS)[len(raw_columns)].alias("raw_record")


def staged_quarantine_rows(staged: DataFrame, raw_columns: Sequence[str]) -> DataFrame:
    """Rejected rows with their raw fields, file key, line number and reason (as
    :func:`quarantined_rows`)."""
    raw = [F.col(RAW_FIELDS)[i].alias(f"raw_{name}") for i, name in enumerate(raw_columns)]
    return staged.where(F.col(REJECTED_ROW)).select(
        "source_key", "source_line", "reason", *raw, staged_raw_record(raw_columns)
    )


def staged_tallies(staged: DataFrame) -> DataFrame:
    """Row counts per (file, reason, duplicate_file, marker flag): a small table."""
    return staged.groupBy("source_key", "reason", "duplicate_file", MARKER).agg(
        F.count(F.lit(1)).alias("rows")
    )


def counts_from_tallies(
    tallies: list[dict], valid_by_file: dict[str, int]
) -> tuple[list[dict], list[dict]]:
    """(per-file counts, per-(file, reason) rejections) in the shapes of
    :func:`file_counts` and :func:`rejections_by_file_and_reason`.

    ``valid_by_file`` is the number of rows each file has in the processed table; a
    candidate that did not make it there is a duplicate, as is every row of a duplicate
    file.
    """
    per_file: dict[str, dict] = {}
    per_reason: dict[tuple[str, str], int] = {}
    for tally in tallies:
        if tally[MARKER]:
            continue
        key, rows = tally["source_key"], int(tally["rows"])
        item = per_file.setdefault(
            key,
            {
                "source_key": key,
                "rows_read": 0,
                "rows_valid": 0,
                "rows_rejected": 0,
                "rows_duplicate": 0,
            },
        )
        item["rows_read"] += rows
        if tally["duplicate_file"]:
            item["rows_duplicate"] += rows
        elif tally["reason"] is not None:
            item["rows_rejected"] += rows
            pair = (key, tally["reason"])
            per_reason[pair] = per_reason.get(pair, 0) + rows
        else:
            item["rows_duplicate"] += rows  # candidates; the valid ones are moved below
    for key, valid in valid_by_file.items():
        item = per_file[key]
        item["rows_valid"] += valid
        item["rows_duplicate"] -= valid
    reasons = [{"source_key": k, "reason": r, "rows": n} for (k, r), n in per_reason.items()]
    return list(per_file.values()), reasons


def candidate_count(tallies: list[dict]) -> int:
    """Rows that go into the dedupe (clean rows of files not landed before)."""
    return sum(t["rows"] for t in tallies if t["reason"] is None and not t["duplicate_file"])


def rejected_count(tallies: list[dict]) -> int:
    """Rows that go to quarantine (what :func:`stage_rows` flags ``_rejected``)."""
    return sum(
        t["rows"]
        for t in tallies
        if t["reason"] is not None and not t["duplicate_file"] and not t[MARKER]
    )
