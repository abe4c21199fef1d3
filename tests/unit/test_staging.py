"""Staged Parquet (vectorised rules): the same staged rows and tallies as the Spark path."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from glue_lib import orders, outcomes
from glue_lib.csv_records import read_csv_records
from glue_lib.staging import (
    RawFile,
    arrow_filesystem,
    file_lineage,
    plan_tasks,
    stage_cleaned_records,
    staging_folder,
)

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


def test_staged_rows_and_tallies_equal_the_spark_rules_path(spark, raw_files, tmp_path):
    lake, raw_files = raw_files
    folder = str(tmp_path / "staging")
    cleaner = (orders.clean_table, orders.CLEANED_FIELDS)
    cleaned, counted = stage_cleaned_records(
        spark, str(lake), raw_files, orders.COLUMNS, cleaner, folder
    )
    staged = outcomes.stage_rows(cleaned, None, orders.COLUMNS)
    records = read_csv_records(spark, {str(lake / f.key): f.key for f in raw_files}, orders.COLUMNS)
    lineage = file_lineage(spark, raw_files)
    expected = outcomes.stage_rows(orders.clean(records), lineage, orders.COLUMNS)

    columns = expected.columns
    assert sorted(staged.columns) == sorted(columns)
    staged = staged.select(*columns)
    assert staged.count() == expected.count() > 900  # 600 rows, a copy of 300, markers
    assert staged.exceptAll(expected).count() == 0 and expected.exceptAll(staged).count() == 0

    duplicate = {f.key: f.duplicate_file for f in raw_files}
    tallies = [outcomes.tally(k, why, duplicate[k], n) for k, why, n in counted]
    spark_tallies = [row.asDict() for row in outcomes.staged_tallies(expected).collect()]
    order = ("source_key", "reason")
    assert sorted(tallies, key=lambda t: tuple(map(str, (t[k] for k in order)))) == sorted(
        spark_tallies, key=lambda t: tuple(map(str, (t[k] for k in order)))
    )
    assert any(t[outcomes.MARKER] for t in tallies)  # the bad file's marker row


def test_each_raw_file_is_one_staged_file_and_no_files_stage_nothing(spark, raw_files, tmp_path):
    lake, raw_files = raw_files
    folder = tmp_path / "staging"
    cleaner = (orders.clean_table, orders.CLEANED_FIELDS)
    stage_cleaned_records(spark, str(lake), raw_files, orders.COLUMNS, cleaner, str(folder))
    assert sorted(p.name for p in folder.iterdir()) == [
        f"part-{i:05d}.parquet" for i in range(len(raw_files))
    ]
    empty, counted = stage_cleaned_records(
        spark, str(lake), [], orders.COLUMNS, cleaner, str(tmp_path / "e")
    )
    assert empty.count() == 0 and counted == [] and not (tmp_path / "e").exists()


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


def test_arrow_paths_keep_spaces_and_unicode_of_keys():
    filesystem, path = arrow_filesystem("file:/tmp/lake dir/raw/ü x%20.csv")
    assert path == "/tmp/lake dir/raw/ü x%20.csv" and filesystem.type_name == "local"
    assert arrow_filesystem("file:///tmp/l")[1] == "/tmp/l"
