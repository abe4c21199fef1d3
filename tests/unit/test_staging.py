"""Staged Parquet and the processed table the workers write (vectorised rules): the same
rows, tallies and processed table as the Spark path."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from glue_lib import orders, outcomes
from glue_lib.csv_records import read_csv_records
from glue_lib.latest_rows import candidate_columns, key_buckets, write_latest_rows
from glue_lib.staging import (
    Candidates,
    RawFile,
    arrow_filesystem,
    bucket_count,
    file_lineage,
    plan_tasks,
    stage_cleaned_records,
    staged_table_schema,
    staging_folder,
)
from pyspark.sql import functions as F

from pipeline.generate.orders import generate_orders


def test_staging_folder_is_under_glue_temp_dir_when_given_else_the_run_folder():
    assert staging_folder("s3://lake", "orders", "2024-03-01", "s3://art/glue/tmp/") == (
        "s3://art/glue/tmp/staging/orders/2024-03-01"
    )
    assert staging_folder("/l/", "orders", "2024-03-01") == "/l/_runs/orders/2024-03-01/staging"


@pytest.fixture(scope="module")
def raw_files(tmp_path_factory) -> tuple[Path, list[RawFile]]:
    """Dirty files, a re-landed copy (duplicate file) and one that is not gzip (marker)."""
    lake = tmp_path_factory.mktemp("staging_lake")
    keys = generate_orders(str(lake), date(2024, 3, 1), rows=600, files=2, seed=5, bad_files=1)
    copy = keys[0].replace(".csv", "-again.csv")
    shutil.copy(lake / keys[0], lake / copy)
    broken = "raw/orders/dt=2024-03-01/broken.csv.gz"
    (lake / broken).write_bytes(b"not gzip at all")
    entries = [*keys, copy, broken]
    files = [RawFile(k, (lake / k).stat().st_size, n, k == copy) for n, k in enumerate(entries, 1)]
    return lake, files


CANDIDATES = Candidates(
    orders.KEY, candidate_columns(orders.PROCESSED_COLUMNS, orders.LATEST_FIRST), 3
)


def _spark_rules_rows(spark, lake: Path, raw_files: list[RawFile]):
    """The staged rows of the Spark-rules path: what staging must agree with."""
    records = read_csv_records(spark, {str(lake / f.key): f.key for f in raw_files}, orders.COLUMNS)
    lineage = file_lineage(spark, raw_files)
    return outcomes.stage_rows(orders.clean(records), lineage, orders.COLUMNS)


def _stage(spark, lake: Path, raw_files: list[RawFile], tmp_path: Path) -> list:
    """Stage ``raw_files`` into ``tmp_path``: ``staging/`` and ``quarantine/_temporary/``."""
    targets = (str(tmp_path / "staging"), CANDIDATES, str(tmp_path / "quarantine"))
    return stage_cleaned_records(
        spark, str(lake), raw_files, orders.COLUMNS, orders.clean_table, targets
    )


def test_quarantine_candidates_tallies_and_messages_equal_the_spark_rules_path(
    spark, raw_files, tmp_path
):
    lake, raw_files = raw_files
    counted = _stage(spark, lake, raw_files, tmp_path)
    expected = _spark_rules_rows(spark, lake, raw_files)

    quarantined = spark.read.parquet(str(tmp_path / "quarantine/_temporary"))
    spark_quarantine = outcomes.staged_quarantine_rows(expected, orders.COLUMNS)
    assert quarantined.columns == spark_quarantine.columns
    assert quarantined.count() == spark_quarantine.count() > 20
    assert quarantined.exceptAll(spark_quarantine).count() == 0
    assert spark_quarantine.exceptAll(quarantined).count() == 0

    folder = str(tmp_path / "staging/candidates")
    bucketed = spark.read.option("recursiveFileLookup", "true").parquet(folder)
    bucketed = bucketed.select(*CANDIDATES.columns)
    competing = expected.where(F.col(outcomes.CANDIDATE)).select(*CANDIDATES.columns)
    assert bucketed.count() == competing.count() > 500  # 600 less the rejected ones
    assert bucketed.exceptAll(competing).count() == 0
    assert competing.exceptAll(bucketed).count() == 0

    duplicate = {f.key: f.duplicate_file for f in raw_files}
    tallies = [outcomes.tally(k, why, duplicate[k], n) for k, why, n, _ in counted]
    spark_tallies = [row.asDict() for row in outcomes.staged_tallies(expected).collect()]
    order = ("source_key", "reason")
    assert sorted(tallies, key=lambda t: tuple(map(str, (t[k] for k in order)))) == sorted(
        spark_tallies, key=lambda t: tuple(map(str, (t[k] for k in order)))
    )
    markers = expected.where(F.col(outcomes.MARKER))
    messages = markers.select("source_key", outcomes.staged_raw_record(orders.COLUMNS)).collect()
    assert {key: message for key, _, _, message in counted if message} == dict(messages)
    assert len(messages) == 1  # the bad file's marker row


def test_a_task_writes_one_file_per_part_and_each_bucket_holds_only_its_keys(
    spark, raw_files, tmp_path
):
    lake, raw_files = raw_files
    _stage(spark, lake, raw_files, tmp_path)
    tasks = len(plan_tasks(raw_files, spark.sparkContext.defaultParallelism))
    assert sorted(p.name for p in (tmp_path / "quarantine/_temporary").iterdir()) == [
        f"part-{task:05d}-000.snappy.parquet" for task in range(tasks)
    ]
    for bucket in range(CANDIDATES.buckets):
        keys = pq.read_table(tmp_path / f"staging/candidates/bucket-{bucket:05d}")
        assert len(keys) and set(key_buckets(keys.column("order_id"), CANDIDATES.buckets)) == {
            bucket
        }
    assert _stage(spark, lake, [], tmp_path / "e") == [] and not (tmp_path / "e").exists()


def test_the_processed_rows_equal_the_spark_window_and_replace_the_partition(
    spark, raw_files, tmp_path
):
    lake, raw_files = raw_files
    _stage(spark, lake, raw_files, tmp_path)
    partition = tmp_path / "processed/orders/run_date=2024-03-01"
    partition.mkdir(parents=True)
    (partition / "part-00000-old.c000.snappy.parquet").write_bytes(b"last run")
    schema = staged_table_schema(orders.CLEANED_FIELDS, orders.PROCESSED_COLUMNS)
    valid = write_latest_rows(
        spark,
        arrow_filesystem(str(tmp_path / "staging")),
        CANDIDATES.buckets,
        arrow_filesystem(str(partition)),
        orders.KEY,
        orders.LATEST_FIRST,
        schema,
    )

    expected = outcomes.ranked_valid_rows(
        _spark_rules_rows(spark, lake, raw_files),
        orders.KEY,
        orders.latest_first(),
        orders.PROCESSED_COLUMNS,
    )
    written = spark.read.parquet(str(partition))
    types = [(f.name, f.dataType) for f in written.schema]
    assert types == [(f.name, f.dataType) for f in expected.schema]  # Spark reads all nullable
    assert written.count() == expected.count() > 500
    assert written.exceptAll(expected).count() == 0 and expected.exceptAll(written).count() == 0
    by_file = expected.groupBy("source_key").count().collect()
    assert valid == {row["source_key"]: row["count"] for row in by_file}
    assert sorted(p.name for p in partition.iterdir()) == [
        f"part-{bucket:05d}.snappy.parquet" for bucket in range(CANDIDATES.buckets)
    ]
    timestamp = pq.ParquetFile(partition / "part-00000.snappy.parquet").schema.column(7)
    assert (timestamp.name, timestamp.physical_type) == ("updated_at", "INT96")  # as Spark's


def test_no_candidates_leave_an_empty_part_with_the_schema(spark, tmp_path):
    partition = tmp_path / "processed"
    schema = pa.schema([("order_id", pa.string()), ("source_key", pa.string())])
    valid = write_latest_rows(
        spark,
        arrow_filesystem(str(tmp_path / "staging")),
        2,
        arrow_filesystem(str(partition)),
        "order_id",
        (),
        schema,
    )
    assert valid == {}
    assert [p.name for p in partition.iterdir()] == ["part-00000.snappy.parquet"]
    assert pq.read_table(partition).schema == schema


def test_tasks_keep_big_files_alone_and_share_small_ones_evenly():
    mb = 1 << 20
    big = [RawFile(f"b{i}.csv", 40 * mb, i, False) for i in range(3)]
    assert sorted(map(len, plan_tasks(big, 2))) == [1, 1, 1]
    small = [RawFile(f"s{i}.csv", 10_000, i, False) for i in range(1000)]
    tasks = plan_tasks(small, 2)
    assert sorted(map(len, tasks)) == [500, 500]
    assert sorted(i for task in tasks for i in task) == list(range(1000))
    plain = [RawFile("a.csv", 5 * mb, 0, False), RawFile("b.csv", 5 * mb, 1, False)]
    assert plan_tasks(plain, 1) == [[0, 1]]
    gzipped = [RawFile("a.csv.gz", 5 * mb, 0, False), RawFile("b.csv.gz", 5 * mb, 1, False)]
    assert plan_tasks(gzipped, 1) == [[0], [1]]  # about 40 MB of text: two tasks
    # Buckets: one per 32 MB of text, at least one per core; a big file is spread out.
    assert bucket_count(big, 2) == 4 and bucket_count(small, 2) == 2
    assert bucket_count(gzipped, 1) == 2 and bucket_count(big[:1], 1) == 2


def test_arrow_paths_keep_spaces_and_unicode_of_keys():
    filesystem, path = arrow_filesystem("file:/tmp/lake dir/raw/ü x%20.csv")
    assert path == "/tmp/lake dir/raw/ü x%20.csv" and filesystem.type_name == "local"
    assert arrow_filesystem("file:///tmp/l")[1] == "/tmp/l"
