"""Parse and clean a run's raw files into staged Parquet, one file per raw file.

For a dataset with vectorised rules (``clean_table``), each raw file is read, tokenised,
cleaned and its raw text packed by one Python worker (:mod:`csv_records`), as a pyarrow
table. Handing that table to Spark as rows, then caching the rows, cost the JVM more
than all the parsing and cleaning did (bench/TUNING.md). So the worker adds the file's
landing order and duplicate flag, writes the table as one Parquet file in a staging
folder and returns only its row counts per reason; Spark then reads the staged rows
with its vectorised Parquet reader, once per output, and the folder is removed when the
job ends. The workers read and write through pyarrow's file systems (local, S3), so the
raw bytes never pass through the JVM either.

The staging folder is ``<TempDir>/staging/<dataset>/<run_date>`` on Glue (the job's
``--TempDir``, which expires) and ``_runs/<dataset>/<run_date>/staging`` under the lake
root without one (local runs). A job clears it before it stages, so files left by a
killed run never mix with a retry's; a retried task rewrites its own files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from . import layout
from .csv_records import file_table, pack_raw_text, packed_schema, qualified_uri

TableCleaner = Callable[[pa.Table], pa.Table]
FILE_FIELDS = (
    T.StructField("file_order", T.IntegerType()),
    T.StructField("duplicate_file", T.BooleanType()),
)
TASK_BYTES = 32 << 20  # small files share a task up to this much text
GZIP_RATIO = 4  # a gzipped CSV holds about this many times its size in text
_COUNTS = pa.schema([("source_key", pa.string()), ("reason", pa.string()), ("rows", pa.int64())])


class RawFile(NamedTuple):
    """A file of the run's manifest: lake key, size, landing order, duplicate flag."""

    key: str
    size: int
    file_order: int
    duplicate_file: bool


def file_lineage(spark: SparkSession, files: Sequence[RawFile]) -> DataFrame:
    """``source_key``, ``file_order``, ``duplicate_file`` per file: what
    :func:`outcomes.stage_rows` joins to rows that do not carry them yet."""
    return spark.createDataFrame(
        [(f.key, f.file_order, f.duplicate_file) for f in files],
        "source_key string, file_order int, duplicate_file boolean",
    )


def staging_folder(lake_root: str, dataset: str, run_date: str, temp_dir: str = "") -> str:
    """Where a run's staged files go: under Glue's ``--TempDir`` when given."""
    if temp_dir:
        return f"{temp_dir.rstrip('/')}/staging/{dataset}/{run_date}"
    return layout.run_file(lake_root, dataset, run_date, "staging")


def arrow_filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """pyarrow's file system and path for a qualified URI (``file:/…`` or ``s3://…``).

    Only the bucket goes through pyarrow's URI parser: keys may hold spaces or unicode,
    which it refuses, and the path is used as it is.
    """
    scheme, separator, rest = uri.partition("://")
    if not separator:  # Hadoop writes local paths as file:/path
        return pafs.LocalFileSystem(), uri.removeprefix("file:")
    if scheme == "file":
        return pafs.LocalFileSystem(), rest
    bucket = rest.split("/", 1)[0]
    filesystem, _ = pafs.FileSystem.from_uri(f"{'s3' if scheme == 's3a' else scheme}://{bucket}")
    return filesystem, rest.rstrip("/")


def plan_tasks(files: Sequence[RawFile], parallelism: int) -> list[list[int]]:
    """Group file indexes into tasks: a big file alone, small ones together, balanced.

    As many tasks as the text needs at ``TASK_BYTES`` each (at least ``parallelism``, at
    most one per file); the biggest file goes first to the lightest task.
    """
    weight = [f.size * (GZIP_RATIO if f.key.lower().endswith(".gz") else 1) for f in files]
    count = min(len(files), max(parallelism, -(-sum(weight) // TASK_BYTES)))
    tasks: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    for index in sorted(range(len(files)), key=lambda i: (-weight[i], i)):
        lightest = loads.index(min(loads))
        tasks[lightest].append(index)
        loads[lightest] += weight[index]
    return [sorted(task) for task in tasks]


def stage_cleaned_records(
    spark: SparkSession,
    lake_root: str,
    files: Sequence[RawFile],
    columns: Sequence[str],
    cleaner: tuple[TableCleaner, Sequence[T.StructField]],
    folder: str,
) -> tuple[DataFrame, list[tuple[str, str | None, int]]]:
    """Parse and clean ``files`` into ``folder``: (its rows, rows per file and reason).

    The rows are :func:`csv_records.pack_raw_text`'s (lineage, the fields ``cleaner``
    adds, ``raw_fields``) plus ``file_order`` and ``duplicate_file``. ``folder`` must be
    empty or absent (the caller clears it).
    """
    clean_table, added = cleaner
    schema = T.StructType([*packed_schema(added).fields, *FILE_FIELDS])
    if not files:
        return spark.createDataFrame([], schema), []
    tasks = plan_tasks(files, spark.sparkContext.defaultParallelism)
    worker = _stage_files(
        columns,
        list(files),
        tasks,
        clean_table,
        arrow_filesystem(qualified_uri(spark, lake_root)),
        arrow_filesystem(qualified_uri(spark, folder)),
    )
    counted = (
        spark.range(0, len(tasks), 1, len(tasks))
        .mapInArrow(worker, "source_key string, reason string, rows long")
        .collect()
    )
    rows = spark.read.schema(schema).parquet(folder)
    return rows, [(row["source_key"], row["reason"], row["rows"]) for row in counted]


def _stage_files(
    columns: Sequence[str],
    files: list[RawFile],
    tasks: list[list[int]],
    clean_table: TableCleaner,
    lake: tuple[pafs.FileSystem, str],
    staging: tuple[pafs.FileSystem, str],
):
    """The function mapInArrow runs: task ids in; staged files written, counts out."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        target, folder = staging
        target.create_dir(folder, recursive=True)
        for batch in batches:
            for task in batch.column(0).to_pylist():
                for index in tasks[task]:
                    yield _stage_file(files[index], index, columns, clean_table, lake, staging)
                    pa.default_memory_pool().release_unused()  # flat across files

    return run


def _stage_file(
    raw_file: RawFile,
    index: int,
    columns: Sequence[str],
    clean_table: TableCleaner,
    lake: tuple[pafs.FileSystem, str],
    staging: tuple[pafs.FileSystem, str],
) -> pa.RecordBatch:
    """Read, parse, clean and stage one raw file; its row counts per reason."""
    (source, root), (target, folder) = lake, staging
    with source.open_input_stream(f"{root}/{raw_file.key}", compression=None) as stream:
        content = stream.read()  # as stored: file_table gunzips and reports a bad .gz
    table = pack_raw_text(clean_table(file_table(content, raw_file.key, columns)), columns)
    rows = table.num_rows
    table = table.append_column(
        "file_order", pa.repeat(pa.scalar(raw_file.file_order, pa.int32()), rows)
    ).append_column("duplicate_file", pa.repeat(raw_file.duplicate_file, rows))
    pq.write_table(table, f"{folder}/part-{index:05d}.parquet", filesystem=target)
    counts = table.group_by("reason").aggregate([([], "count_all")])
    return pa.RecordBatch.from_pydict(
        {
            "source_key": [raw_file.key] * counts.num_rows,
            "reason": counts.column("reason").combine_chunks(),
            "rows": counts.column("count_all").combine_chunks(),
        },
        schema=_COUNTS,
    )
