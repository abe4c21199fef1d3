"""Parse and clean a run's raw files into staged Parquet, in the Python workers.

For a dataset with vectorised rules (``clean_table``), each raw file is read, tokenised,
cleaned and its raw text packed by one Python worker (:mod:`csv_records`), as a pyarrow
table. Handing that table to Spark as rows, then caching the rows, cost the JVM more
than all the parsing and cleaning did (bench/TUNING.md). So the worker adds the file's
landing order and duplicate flag and writes the rows where they go:

- rejected rows, as quarantine rows, to the quarantine partition's ``_temporary/``
  (:mod:`worker_parquet`; the driver replaces the partition with them at the end);
- the rows that compete for the processed table to the staging folder's
  ``candidates/bucket-<b>/``, split by a hash of the key (:mod:`latest_rows` keeps one per
  key, bucket by bucket).

Other rows (of a duplicate file, a bad file's marker) are only counted. A worker returns
only row counts per file and reason, and a bad file's message. The workers read and write
through pyarrow's file systems (local, S3), so no row passes through the JVM.

The staging folder is ``<TempDir>/staging/<dataset>/<run_date>`` on Glue (the job's
``--TempDir``, which expires) and ``_runs/<dataset>/<run_date>/staging`` under the lake
root without one (local runs). A job clears it before it stages, so files left by a
killed run never mix with a retry's; a retried task rewrites its own files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_schema

from . import layout
from .csv_records import (
    BAD_FILE,
    RAW_FIELDS,
    file_table,
    pack_raw_text,
    packed_schema,
    qualified_uri,
)
from .latest_rows import bucket_folder, split_by_bucket
from .worker_parquet import temporary_folder, write_parquet

TableCleaner = Callable[[pa.Table], pa.Table]
FILE_FIELDS = (
    T.StructField("file_order", T.IntegerType()),
    T.StructField("duplicate_file", T.BooleanType()),
)
TASK_BYTES = 32 << 20  # small files share a task up to this much text (and a bucket)
FLUSH_ROWS = 250_000  # a task writes its staged rows in files of at least this many
GZIP_RATIO = 4  # a gzipped CSV holds about this many times its size in text
_COUNTS = pa.schema(
    [
        ("source_key", pa.string()),
        ("reason", pa.string()),
        ("rows", pa.int64()),
        ("message", pa.string()),  # a bad file's: why it could not be read
    ]
)
FileTally = tuple[str, str | None, int, str | None]  # source key, reason, rows, message


class Candidates(NamedTuple):
    """The staged rows that compete for the processed table: bucketed by ``key``, with
    the ``columns`` the table and the latest-first order need."""

    key: str
    columns: tuple[str, ...]
    buckets: int


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


def worker_location(spark: SparkSession, uri: str) -> tuple[pafs.FileSystem, str]:
    """Where a Python worker reads or writes ``uri``: pyarrow's file system and path for it,
    as Spark resolves it (a relative local path made absolute)."""
    return arrow_filesystem(qualified_uri(spark, uri))


def _text_bytes(raw_file: RawFile) -> int:
    return raw_file.size * (GZIP_RATIO if raw_file.key.lower().endswith(".gz") else 1)


def plan_tasks(files: Sequence[RawFile], parallelism: int) -> list[list[int]]:
    """Group file indexes into tasks: a big file alone, small ones together, balanced.

    As many tasks as the text needs at ``TASK_BYTES`` each (at least ``parallelism``, at
    most one per file); the biggest file goes first to the lightest task.
    """
    weight = [_text_bytes(f) for f in files]
    count = min(len(files), max(parallelism, -(-sum(weight) // TASK_BYTES)))
    tasks: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    for index in sorted(range(len(files)), key=lambda i: (-weight[i], i)):
        lightest = loads.index(min(loads))
        tasks[lightest].append(index)
        loads[lightest] += weight[index]
    return [sorted(task) for task in tasks]


def bucket_count(files: Sequence[RawFile], parallelism: int) -> int:
    """How many buckets the candidates go to: one per ``TASK_BYTES`` of text, at least
    ``parallelism`` (a big file is spread over several buckets)."""
    return max(parallelism, -(-sum(map(_text_bytes, files)) // TASK_BYTES))


def staged_table_schema(added: Sequence[T.StructField], columns: Sequence[str]) -> pa.Schema:
    """The Arrow schema of ``columns`` of a staged row (:func:`csv_records.packed_schema`'s
    fields, with ``added``, and the file fields): the Spark types, as Arrow."""
    staged = T.StructType([*packed_schema(added).fields, *FILE_FIELDS])
    return to_arrow_schema(T.StructType([staged[name] for name in columns]))


def quarantine_schema(columns: Sequence[str]) -> pa.Schema:
    """Columns of a quarantine row: lineage, reason, each raw field, the raw record."""
    raw = [(f"raw_{name}", pa.string()) for name in [*columns, "record"]]
    lineage = [("source_key", pa.string()), ("source_line", pa.int32())]
    return pa.schema([*lineage, ("reason", pa.string()), *raw])


def quarantine_rows(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """Staged rows as quarantine rows: their packed raw text unpacked into columns."""
    raw = table.column(RAW_FIELDS)
    fields = [pc.list_element(raw, i) for i in range(len(columns) + 1)]
    lineage = [table.column(name) for name in ("source_key", "source_line", "reason")]
    schema = quarantine_schema(columns)
    return pa.table([*lineage, *fields], names=schema.names).cast(schema)


def stage_cleaned_records(
    spark: SparkSession,
    lake_root: str,
    files: Sequence[RawFile],
    columns: Sequence[str],
    clean_table: TableCleaner,
    targets: tuple[str, Candidates, str],
) -> list[FileTally]:
    """Parse and clean ``files``; rows per file and reason.

    ``targets`` is (staging folder, :class:`Candidates`, quarantine partition): candidates
    go to the folder's buckets, rejected rows to the partition's ``_temporary/``. The
    folder must be empty or absent (the caller clears it, and the ``_temporary/``).
    """
    if not files:
        return []
    folder, candidates, quarantine = targets
    tasks = plan_tasks(files, spark.sparkContext.defaultParallelism)
    worker = _stage_files(
        columns,
        list(files),
        tasks,
        (clean_table, candidates),
        worker_location(spark, lake_root),
        (worker_location(spark, folder), worker_location(spark, temporary_folder(quarantine))),
    )
    counted = (
        spark.range(0, len(tasks), 1, len(tasks))
        .mapInArrow(worker, "source_key string, reason string, rows long, message string")
        .collect()
    )
    return [(row["source_key"], row["reason"], row["rows"], row["message"]) for row in counted]


def _stage_files(
    columns: Sequence[str],
    files: list[RawFile],
    tasks: list[list[int]],
    cleaning: tuple[TableCleaner, Candidates],
    lake: tuple[pafs.FileSystem, str],
    outputs: tuple[tuple[pafs.FileSystem, str], tuple[pafs.FileSystem, str]],
):
    """The function mapInArrow runs: task ids in; staged files written, counts out."""
    clean_table, candidates = cleaning

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for task in batch.column(0).to_pylist():
                output = _TaskOutput(task, columns, candidates, outputs)
                for index in tasks[task]:
                    table = _cleaned_file(files[index], columns, clean_table, lake)
                    yield _counts(files[index].key, table)
                    output.add(table)
                    del table
                    pa.default_memory_pool().release_unused()  # flat across files
                output.flush()

    return run


def _cleaned_file(
    raw_file: RawFile,
    columns: Sequence[str],
    clean_table: TableCleaner,
    lake: tuple[pafs.FileSystem, str],
) -> pa.Table:
    """Read, parse and clean one raw file: its staged rows, all of them."""
    source, root = lake
    with source.open_input_stream(f"{root}/{raw_file.key}", compression=None) as stream:
        content = stream.read()  # as stored: file_table gunzips and reports a bad .gz
    table = pack_raw_text(clean_table(file_table(content, raw_file.key, columns)), columns)
    rows = table.num_rows
    return table.append_column(
        "file_order", pa.repeat(pa.scalar(raw_file.file_order, pa.int32()), rows)
    ).append_column("duplicate_file", pa.repeat(raw_file.duplicate_file, rows))


def _counts(source_key: str, table: pa.Table) -> pa.RecordBatch:
    """Rows per reason of one file, with the message of a bad file's marker row."""
    counts = table.group_by("reason").aggregate([([], "count_all")])
    markers = table.filter(pc.equal(table.column("reason"), BAD_FILE))
    message = markers.column(RAW_FIELDS)[0].as_py()[-1] if markers.num_rows else None
    reasons = counts.column("reason").combine_chunks()
    return pa.RecordBatch.from_pydict(
        {
            "source_key": [source_key] * counts.num_rows,
            "reason": reasons,
            "rows": counts.column("count_all").combine_chunks(),
            "message": [message if r == BAD_FILE else None for r in reasons.to_pylist()],
        },
        schema=_COUNTS,
    )


class _TaskOutput:
    """A task's staged files: its files' rows gathered and written ``FLUSH_ROWS`` at a
    time, so a task of many small files writes a few files, not a few per raw file."""

    def __init__(
        self,
        task: int,
        columns: Sequence[str],
        candidates: Candidates,
        outputs: tuple[tuple[pafs.FileSystem, str], tuple[pafs.FileSystem, str]],
    ):
        self.task, self.columns, self.candidates, self.outputs = task, columns, candidates, outputs
        self.pending: list[pa.Table] = []
        self.rows = self.written = 0

    def add(self, table: pa.Table) -> None:
        self.pending.append(table)
        self.rows += table.num_rows
        if self.rows >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        table = pa.concat_tables(self.pending)
        self.pending, self.rows = [], 0
        ((staging, folder), (quarantine, rejected_folder)) = self.outputs
        key, names, buckets = self.candidates
        name = f"part-{self.task:05d}-{self.written:03d}"
        self.written += 1
        reason, duplicate = table.column("reason"), table.column("duplicate_file")
        rejected = pc.and_not(pc.fill_null(pc.not_equal(reason, BAD_FILE), False), duplicate)
        quarantined = table.filter(rejected)
        if quarantined.num_rows:
            quarantine.create_dir(rejected_folder, recursive=True)
            write_parquet(
                quarantine_rows(quarantined, self.columns),
                f"{rejected_folder}/{name}.snappy.parquet",
                quarantine,
            )
        competing = pc.and_not(pc.is_null(reason), duplicate)
        split = split_by_bucket(table.filter(competing).select(list(names)), key, buckets)
        for bucket, part in enumerate(split):
            if part.num_rows:
                staging.create_dir(bucket_folder(folder, bucket), recursive=True)
                pq.write_table(
                    part, f"{bucket_folder(folder, bucket)}/{name}.parquet", filesystem=staging
                )
