"""The processed table of a vectorised-rules dataset: per key, its latest row, kept and
written by the Python workers.

Spark's way (:func:`outcomes.ranked_valid_rows`: read the staged rows, shuffle by key,
sort, ``row_number``, Parquet write) took the JVM 14 s of a 5M-row job's ~33 s on two
cores, more than parsing and cleaning every file (bench/TUNING.md). The workers already
hold each file's cleaned rows as Arrow, so the shuffle goes through files instead:

1. at staging, a worker splits its candidate rows (valid, not from a duplicate file) into
   ``buckets`` by a hash of the key: ``<staging>/candidates/bucket-<b>/`` (:func:`split_by_bucket`);
2. one task per bucket reads it, keeps the first row per key in ``latest_first`` order,
   as ``ranked_valid_rows`` does (:func:`latest_per_key`), and writes it as one Parquet
   part under the partition's ``_temporary/``;
3. the driver replaces the partition's files with those parts (:mod:`worker_parquet`).

A bucket holds about ``staging.TASK_BYTES`` of text, so a task's memory does not grow with
the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

from .worker_parquet import replace_partition, temporary_folder, write_parquet

SortKey = tuple[str, str]  # (column, "ascending" | "descending"); nulls always last
_COUNTS = pa.schema([("source_key", pa.string()), ("rows", pa.int64())])
# Per byte position (mod 64), an odd 64-bit multiplier: fixed, so every process agrees.
_WEIGHTS = np.random.default_rng(1_000_003).integers(1, 1 << 62, 64, dtype=np.uint64) | 1


def candidate_columns(columns: Sequence[str], latest_first: Sequence[SortKey]) -> tuple[str, ...]:
    """What a candidate row is staged with: the table's ``columns`` and the sort columns."""
    return (*columns, *(name for name, _ in latest_first if name not in columns))


def bucket_folder(staging: str, bucket: int) -> str:
    return f"{staging}/candidates/bucket-{bucket:05d}"


def key_buckets(keys: pa.Array | pa.ChunkedArray, count: int) -> np.ndarray:
    """The bucket (``0..count-1``) of each key string, the same in every process.

    Python's ``hash`` is salted per process and pyarrow has no hash kernel, so the UTF-8
    bytes are hashed here with numpy: a weighted sum per string, then mixed. A null key
    hashes as the empty string.
    """
    keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    keys = keys.cast(pa.large_string())
    _, offsets_buffer, data_buffer = keys.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int64)[keys.offset : keys.offset + len(keys) + 1]
    start = offsets[0]
    data = np.frombuffer(data_buffer, np.uint8)[start : offsets[-1]] if data_buffer else []
    lengths = np.diff(offsets)
    position = np.arange(len(data)) - np.repeat(offsets[:-1] - start, lengths)
    sums = np.zeros(len(data) + 1, np.uint64)
    np.cumsum(np.asarray(data, np.uint64) * _WEIGHTS[position % 64], out=sums[1:])
    hashed = sums[offsets[1:] - start] - sums[offsets[:-1] - start]
    hashed ^= hashed >> np.uint64(31)
    hashed *= np.uint64(0x9E3779B97F4A7C15)
    hashed ^= hashed >> np.uint64(29)
    return (hashed % np.uint64(count)).astype(np.int32)


def split_by_bucket(table: pa.Table, key: str, count: int) -> list[pa.Table]:
    """``table``'s rows in ``count`` tables, by :func:`key_buckets` of ``key``."""
    buckets = key_buckets(table.column(key), count)
    order = np.argsort(buckets, kind="stable")
    bounds = np.searchsorted(buckets[order], np.arange(count + 1))
    ordered = table.take(pa.array(order))
    return [ordered.slice(low, high - low) for low, high in pairwise(bounds)]


def latest_per_key(table: pa.Table, key: str, latest_first: Sequence[SortKey]) -> pa.Table:
    """Per ``key``, the first row in ``latest_first`` order (nulls last), sorted by key.

    What ``row_number() == 1`` over ``Window.partitionBy(key).orderBy(latest_first)``
    keeps; each sort column gets an "is null" column before it, so nulls go last in
    either direction.
    """
    if not table.num_rows:
        return table
    sortable, sort_keys = {key: table.column(key)}, [(key, "ascending")]
    for position, (name, order) in enumerate(latest_first):
        sortable[f"_null_{position}"] = pc.is_null(table.column(name))
        sortable[f"_value_{position}"] = table.column(name)
        sort_keys += [(f"_null_{position}", "ascending"), (f"_value_{position}", order)]
    indices = pc.sort_indices(pa.table(sortable), sort_keys=sort_keys)
    keys = table.column(key).take(indices).combine_chunks()
    previous, current = keys.slice(0, len(keys) - 1), keys.slice(1)
    same = pc.or_(
        pc.fill_null(pc.equal(current, previous), False),
        pc.and_(pc.is_null(current), pc.is_null(previous)),
    )
    first = np.ones(len(keys), bool)
    first[1:] = ~same.to_numpy(zero_copy_only=False)
    return table.take(indices.filter(pa.array(first)))


def write_latest_rows(
    spark: SparkSession,
    staging: tuple[pafs.FileSystem, str],
    buckets: int,
    partition: tuple[pafs.FileSystem, str],
    key: str,
    latest_first: Sequence[SortKey],
    schema: pa.Schema,
) -> dict[str, int]:
    """Write the partition's rows (``schema``'s columns) from the staged buckets and
    replace its files with them; rows kept per ``source_key``."""
    target, folder = partition
    target.create_dir(temporary_folder(folder), recursive=True)
    worker = _keep_latest(staging, partition, key, list(latest_first), schema)
    counted = (
        spark.range(0, buckets, 1, buckets)
        .mapInArrow(worker, "source_key string, rows long")
        .collect()
    )
    replace_partition(target, folder, schema)
    valid: dict[str, int] = {}
    for row in counted:
        valid[row["source_key"]] = valid.get(row["source_key"], 0) + row["rows"]
    return valid


def _keep_latest(
    staging: tuple[pafs.FileSystem, str],
    partition: tuple[pafs.FileSystem, str],
    key: str,
    latest_first: list[SortKey],
    schema: pa.Schema,
):
    """The function mapInArrow runs: bucket ids in; parts written, rows per file out."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        (source, staged), (target, folder) = staging, partition
        for batch in batches:
            for bucket in batch.column(0).to_pylist():
                path = bucket_folder(staged, bucket)
                if source.get_file_info(path).type != pafs.FileType.Directory:
                    continue  # no candidate hashed here
                candidates = pq.read_table(path, filesystem=source)
                kept = latest_per_key(candidates, key, latest_first)
                kept = kept.select(schema.names).cast(schema)
                part = f"{temporary_folder(folder)}/part-{bucket:05d}.snappy.parquet"
                write_parquet(kept, part, target)
                counts = kept.group_by("source_key").aggregate([([], "count_all")])
                yield pa.RecordBatch.from_pydict(
                    {
                        "source_key": counts.column("source_key").combine_chunks(),
                        "rows": counts.column("count_all").combine_chunks(),
                    },
                    schema=_COUNTS,
                )
                del candidates, kept
                pa.default_memory_pool().release_unused()

    return run
