"""Raw CSV files to one row per record, with the source key and 1-based line number.

Spark's CSV reader cannot say on which line a record started, nor reject broken
quoting, and the contract needs both (quarantine rows carry file key and line). So the
tokenising is done by Python's ``csv`` module (RFC 4180, quoted commas and line breaks)
inside ``mapInArrow``: one task per file, Arrow batches out, every later step in Spark
expressions. Values stay raw strings here; cleaning happens in the dataset's rules.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator, Sequence

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

MALFORMED_ROW = "malformed_row"
BAD_FILE = "bad_file"
BATCH_ROWS = 20_000
_RFC4180_FIELD = r'(?:"(?:[^"]|"")*"|[^",\r\n]*)'
_RFC4180_RECORD = re.compile(rf"{_RFC4180_FIELD}(?:,{_RFC4180_FIELD})*\r?\n?")
_GLOB_CHARS = re.compile(r"([\\*?\[\]{}])")

csv.field_size_limit(1 << 20)  # a field over 1 MiB is a malformed row, not a crash


class UnreadableHeader(ValueError):
    """The header record itself is broken: the file cannot be read as CSV."""


def record_schema(columns: Sequence[str]) -> T.StructType:
    """Schema of parsed records: lineage, parse verdict, then one raw string per column."""
    lineage = [
        T.StructField("source_key", T.StringType(), False),
        T.StructField("source_line", T.IntegerType(), False),
        T.StructField("parse_error", T.StringType(), True),
        T.StructField("raw_record", T.StringType(), True),
    ]
    values = [T.StructField(f"raw_{name}", T.StringType(), True) for name in columns]
    return T.StructType(lineage + values)


def escape_glob(path: str) -> str:
    """Hadoop treats load() paths as globs; escape so odd file names load literally."""
    return _GLOB_CHARS.sub(r"\\\1", path)


def decode_file(content: bytes, key: str) -> str:
    """Bytes of a raw file as text: gunzip ``.gz``, UTF-8 with or without BOM."""
    if key.lower().endswith(".gz"):
        content = gzip.decompress(content)
    return content.decode("utf-8-sig")


def parse_csv_text(
    text: str, columns: Sequence[str]
) -> Iterator[tuple[int, str | None, str | None, list[str | None]]]:
    """Yield ``(line, parse_error, raw_record, values)`` per data record of one file.

    ``values`` follow ``columns`` (None where the file lacks that column). Header names
    are matched trimmed and case-insensitively; blank lines are skipped.
    """
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines, strict=True)
    header: list[str] | None = None
    positions: list[int | None] = []
    consumed = 0
    while True:
        start = consumed + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            consumed = reader.line_num
            if header is None:
                raise UnreadableHeader(f"header line {start} is not valid CSV") from None
            yield start, MALFORMED_ROW, "".join(lines[start - 1 : consumed]), [None] * len(columns)
            continue
        consumed = reader.line_num
        if not fields:
            continue
        if header is None:
            header = [name.strip(" ").lower() for name in fields]
            positions = [header.index(c) if c in header else None for c in columns]
            continue
        raw = None
        error = None
        if len(fields) != len(header):
            error = MALFORMED_ROW
        elif any('"' in line for line in lines[start - 1 : consumed]):
            raw = "".join(lines[start - 1 : consumed])
            if not _RFC4180_RECORD.fullmatch(raw):
                error = MALFORMED_ROW
        if error:
            raw = raw or "".join(lines[start - 1 : consumed])
            values = [fields[p] if p is not None and p < len(fields) else None for p in positions]
        else:
            values = [fields[p] if p is not None else None for p in positions]
        yield start, error, raw if error else None, values


def _records_from_files(columns: Sequence[str], key_of: dict[str, str]):
    """The function mapInArrow runs: (path, content) batches in, record batches out."""
    schema = record_schema(columns)
    arrow_schema = pa.schema(
        [pa.field(f.name, pa.int32() if f.name == "source_line" else pa.string()) for f in schema]
    )
    width = len(schema)

    def emit(buffer: list[list]) -> pa.RecordBatch:
        return pa.RecordBatch.from_arrays(
            [pa.array(buffer[i], type=arrow_schema.field(i).type) for i in range(width)],
            schema=arrow_schema,
        )

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        buffer: list[list] = [[] for _ in range(width)]
        for batch in batches:
            for path, content in zip(
                batch.column("path").to_pylist(), batch.column("content").to_pylist(), strict=True
            ):
                key = key_of[path]
                try:
                    text = decode_file(content, key)
                except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
                    rows = iter([(0, BAD_FILE, str(exc)[:500], [None] * len(columns))])
                else:
                    rows = _guarded(parse_csv_text(text, columns), len(columns))
                for line, err, raw, vals in rows:
                    buffer[0].append(key)
                    buffer[1].append(line)
                    buffer[2].append(err)
                    buffer[3].append(raw)
                    for i, value in enumerate(vals):
                        buffer[4 + i].append(value)
                    if len(buffer[0]) >= BATCH_ROWS:
                        yield emit(buffer)
                        buffer = [[] for _ in range(width)]
        if buffer[0]:
            yield emit(buffer)

    return run


def _guarded(records: Iterator, width: int) -> Iterator:
    """Turn an unreadable header into one whole-file ``bad_file`` marker."""
    try:
        yield from records
    except UnreadableHeader as exc:
        yield 0, BAD_FILE, str(exc), [None] * width


def read_csv_records(
    spark: SparkSession, files: dict[str, str], columns: Sequence[str]
) -> DataFrame:
    """Parse ``files`` (``{uri: lake key}``) into records with raw string columns."""
    schema = record_schema(columns)
    if not files:
        return spark.createDataFrame([], schema)
    raw = spark.read.format("binaryFile").load([escape_glob(uri) for uri in files])
    qualified = {_qualified(spark, uri): key for uri, key in files.items()}
    parsed = raw.select("path", "content").mapInArrow(
        _records_from_files(columns, qualified), schema
    )
    return parsed


def _qualified(spark: SparkSession, uri: str) -> str:
    """The path string Spark's file sources report for ``uri`` (``file:/…`` locally)."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs.makeQualified(path).toString()
