"""A run's raw CSV files as a DataFrame of records: Spark schedules, a tokenizer streams.

The trigger Lambda's manifest lists the files to read. They become a small DataFrame of
file URIs, grouped into read tasks by size, and ``mapInArrow`` runs the tokenizer
(:mod:`csv_records`) on each: it opens the file itself through fsspec (``s3fs`` on Glue,
which provides it and resolves credentials the way boto3 does; the local file system
here), reads it in blocks of :data:`BLOCK_BYTES`, gunzips ``.csv.gz`` as a stream, and
yields Arrow batches of raw records to Spark. It only reads: every row it yields goes on
through Spark (cleaning, dedupe shuffle, writes through Spark's committer).

At 1 TB on 20 G.1X workers (2,000 files of 500 MB): 2,000 read tasks, one file each; each
holds one 8 MiB block and the arrays made from it at a time (Arrow's pool peaks near
60 MiB, NumPy masks and copies of the block come on top), so a Python worker peaks near
300-350 MiB RSS whatever the file size (``tests/reliability/test_large_file.py``: 74 MiB
and 1 GiB files), and S3 sees a GET per s3fs read-ahead block (``s3fs`` default 50 MiB:
~10 ranged GETs per file, ~20,000 in all). A run of fewer files than cores (one 5 GiB
export) is spread over the cores by one shuffle of its records, so the rules and the cache
do not run on one core while the others wait.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator, Sequence
from typing import BinaryIO, NamedTuple

import fsspec
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession

from .csv_records import UnreadableHeader, bad_file_record, record_schema, stream_csv_tables

BLOCK_BYTES = 8 << 20  # what the tokenizer reads of a file at a time
BATCH_ROWS = 20_000  # rows per Arrow batch handed to Spark
TASK_BYTES = 64 << 20  # small files share a read task up to this much text
GZIP_RATIO = 4  # a gzipped CSV holds about this many times its size in text
READABLE = ("accepted", "duplicate_file")  # manifest statuses whose rows are read


class ManifestFile(NamedTuple):
    """A file of the run's manifest to read: lake key, size, landing order, and whether
    its bytes already landed earlier (every row then counts as a duplicate)."""

    key: str
    size: int
    file_order: int
    duplicate_file: bool


def manifest_files(manifest: dict) -> list[ManifestFile]:
    """The files of a manifest whose rows the job reads."""
    return [
        ManifestFile(f["key"], int(f["size"]), int(f["order"]), f["status"] == "duplicate_file")
        for f in manifest["files"]
        if f["status"] in READABLE
    ]


def plan_read_tasks(files: Sequence[ManifestFile], parallelism: int) -> list[list[ManifestFile]]:
    """Group files into read tasks: a big file alone, small ones together, balanced.

    As many tasks as the text needs at :data:`TASK_BYTES` each (at least ``parallelism``,
    at most one per file); the biggest file goes first to the lightest task.
    """
    weight = [f.size * (GZIP_RATIO if f.key.lower().endswith(".gz") else 1) for f in files]
    count = min(len(files), max(parallelism, -(-sum(weight) // TASK_BYTES)))
    tasks: list[list[ManifestFile]] = [[] for _ in range(count)]
    loads = [0] * count
    for index in sorted(range(len(files)), key=lambda i: (-weight[i], i)):
        lightest = loads.index(min(loads))
        tasks[lightest].append(files[index])
        loads[lightest] += weight[index]
    return tasks


def read_csv_records(
    spark: SparkSession, lake_root: str, files: Sequence[ManifestFile], columns: Sequence[str]
) -> DataFrame:
    """The records of ``files`` (:func:`csv_records.record_schema`): raw string columns,
    ``source_key``, 1-based ``source_line``; a file that cannot be read is one ``bad_file``
    marker row (after any rows it gave before the error: the job drops those)."""
    schema = record_schema(columns)
    if not files:
        return spark.createDataFrame([], schema)
    root = lake_root if "://" in lake_root else os.path.abspath(lake_root)  # executors' cwd differs
    cores = spark.sparkContext.defaultParallelism
    tasks = [
        [(f"{root.rstrip('/')}/{f.key}", f.key) for f in task]
        for task in plan_read_tasks(files, cores)
    ]
    listing = spark.sparkContext.parallelize(tasks, len(tasks)).flatMap(lambda task: task)
    uris = spark.createDataFrame(listing, "uri string, source_key string")
    records = uris.mapInArrow(_tokenize_files(tuple(columns)), schema)
    if len(tasks) < cores:
        # A few big files: each streams through one task, and the rules and the cache
        # after it would run on as few cores. Spark spreads the records over every core
        # (hashed by lineage, so a retried task gets the same rows back); with as many
        # files as cores, as at scale, there is no such shuffle.
        records = records.repartition(cores, "source_key", "source_line")
    return records


def _tokenize_files(columns: tuple[str, ...]):
    """The function mapInArrow runs: batches of (uri, key) in, batches of records out."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            uris, keys = batch.column("uri").to_pylist(), batch.column("source_key").to_pylist()
            for uri, key in zip(uris, keys, strict=True):
                yield from file_record_batches(uri, key, columns)

    return run


def file_record_batches(uri: str, key: str, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    """One file's records, a block at a time; its ``bad_file`` marker when it cannot be read
    (not gzip, not UTF-8, a broken header: the message says why)."""
    try:
        with open_raw_file(uri, key) as stream:
            for table in stream_csv_tables(text_blocks(stream), columns, key):
                yield from table.to_batches(max_chunksize=BATCH_ROWS)
    except UnreadableHeader as exc:
        yield from bad_file_record(key, columns, str(exc)).to_batches()
    except UnicodeDecodeError as exc:  # its position would be the block's, not the file's
        yield from bad_file_record(key, columns, f"not UTF-8 text: {exc.reason}").to_batches()
    except (OSError, EOFError, ValueError) as exc:
        yield from bad_file_record(key, columns, str(exc) or type(exc).__name__).to_batches()


def open_raw_file(uri: str, key: str) -> BinaryIO:
    """A read-only byte stream of the file's text (``.gz`` gunzipped as it is read)."""
    compression = "gzip" if key.lower().endswith(".gz") else None
    return fsspec.open(uri, "rb", compression=compression).open()


def text_blocks(stream: BinaryIO, size: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The stream's bytes in blocks of ``size``, without a leading UTF-8 byte-order mark."""
    first = stream.read(max(size, len(codecs.BOM_UTF8)))
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    if first:
        yield first
    while block := stream.read(size):
        yield block
