"""Parse and clean a run's raw files into staged Parquet, one file per raw file.

For a dataset with vectorised rules (``clean_table``), each raw file is tokenised,
cleaned and its raw text packed in one Python worker (:mod:`csv_records`), as a
pyarrow table. Handing that table to Spark as rows, then caching the rows, cost the JVM
more than all the parsing and cleaning did (bench/TUNING.md). So the worker adds the
file's landing order and duplicate flag, writes the table as one Parquet file in a
staging folder and returns only its row counts per reason; Spark then reads the staged
rows with its vectorised Parquet reader, once per output, and the folder is removed when
the job ends.

The staging folder is ``<TempDir>/staging/<dataset>/<run_date>`` on Glue (the job's
``--TempDir``, which expires) and ``_runs/<dataset>/<run_date>/staging`` under the lake
root without one (local runs). A job clears it before it stages, so files left by a
killed run never mix with a retry's; a retried task rewrites its own file.
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
from .csv_records import escape_glob, file_table, pack_raw_text, packed_schema, qualified_uri

TableCleaner = Callable[[pa.Table], pa.Table]
FILE_FIELDS = (
    T.StructField("file_order", T.IntegerType()),
    T.StructField("duplicate_file", T.BooleanType()),
)
_COUNTS = pa.schema([("source_key", pa.string()), ("reason", pa.string()), ("rows", pa.int64())])


class RawFile(NamedTuple):
    """A file of the run's manifest: where it is, its lake key, landing order, duplicate."""

    uri: str
    key: str
    file_order: int
    duplicate_file: bool


def staging_folder(lake_root: str, dataset: str, run_date: str, temp_dir: str = "") -> str:
    """Where a run's staged files go: under Glue's ``--TempDir`` when given."""
    if temp_dir:
        return f"{temp_dir.rstrip('/')}/staging/{dataset}/{run_date}"
    return layout.run_file(lake_root, dataset, run_date, "staging")


def stage_cleaned_records(
    spark: SparkSession,
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
    raw = spark.read.format("binaryFile").load([escape_glob(f.uri) for f in files])
    by_path = {qualified_uri(spark, f.uri): (index, f) for index, f in enumerate(files)}
    counted = (
        raw.select("path", "content")
        .mapInArrow(
            _stage_files(columns, by_path, clean_table, qualified_uri(spark, folder)),
            "source_key string, reason string, rows long",
        )
        .collect()
    )
    rows = spark.read.schema(schema).parquet(folder)
    return rows, [(row["source_key"], row["reason"], row["rows"]) for row in counted]


def _stage_files(
    columns: Sequence[str],
    by_path: dict[str, tuple[int, RawFile]],
    clean_table: TableCleaner,
    folder: str,
):
    """The function mapInArrow runs: (path, content) in; a staged file and counts out."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        filesystem, base = pafs.FileSystem.from_uri(folder)
        filesystem.create_dir(base, recursive=True)
        for batch in batches:
            paths, contents = batch.column("path"), batch.column("content")
            for i in range(batch.num_rows):
                index, raw_file = by_path[paths[i].as_py()]
                table = file_table(contents[i].as_py(), raw_file.key, columns)
                table = pack_raw_text(clean_table(table), columns)
                rows = table.num_rows
                table = table.append_column(
                    "file_order", pa.repeat(pa.scalar(raw_file.file_order, pa.int32()), rows)
                ).append_column("duplicate_file", pa.repeat(raw_file.duplicate_file, rows))
                pq.write_table(table, f"{base}/part-{index:05d}.parquet", filesystem=filesystem)
                counts = table.group_by("reason").aggregate([([], "count_all")])
                yield pa.RecordBatch.from_pydict(
                    {
                        "source_key": [raw_file.key] * counts.num_rows,
                        "reason": counts.column("reason").combine_chunks(),
                        "rows": counts.column("count_all").combine_chunks(),
                    },
                    schema=_COUNTS,
                )
                del table
                pa.default_memory_pool().release_unused()  # keep the worker flat across files

    return run
