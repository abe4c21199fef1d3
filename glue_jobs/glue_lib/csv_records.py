"""Raw CSV files to one row per record, with the source key and 1-based line number.

Spark's CSV reader cannot say on which line a record started, nor reject broken
quoting, and the contract needs both (quarantine rows carry file key and line). So the
tokenising is done by Python's ``csv`` module (RFC 4180, quoted commas and line breaks)
inside ``mapInArrow``: one task per file, Arrow batches out. Values stay raw strings
here; cleaning happens in the dataset's rules: Spark expressions over
:func:`read_csv_records`, or vectorised rules run on each :func:`file_table` in the same
worker (``staging.py``).

Speed: most lines of a real export are one record with no quote character, and for
those Python's ``csv`` module only splits on commas. :func:`parse_csv_table` splits such
lines column-wise with Arrow compute kernels and hands only the other lines (quotes,
wrong field counts, NUL, huge lines) to ``csv``, one record at a time; the records it
produces are exactly :func:`parse_csv_text`'s (same lines, verdicts, raw text, values).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

MALFORMED_ROW = "malformed_row"
BAD_FILE = "bad_file"
BATCH_ROWS = 20_000
_RFC4180_FIELD = r'(?:"(?:[^"]|"")*"|[^",\r\n]*)'
_RFC4180_RECORD = re.compile(rf"{_RFC4180_FIELD}(?:,{_RFC4180_FIELD})*\r?\n?")
_GLOB_CHARS = re.compile(r"([\\*?\[\]{}])")

RAW_FIELDS = "raw_fields"  # raw_<column>... then raw_record, in one list (packed records)
FIELD_SIZE_LIMIT = 1 << 20
csv.field_size_limit(FIELD_SIZE_LIMIT)  # a field over 1 MiB is a malformed row, not a crash


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


def file_bytes(content: bytes, key: str) -> bytes:
    """Bytes of a raw file's text: gunzipped when ``.gz``, without a UTF-8 BOM."""
    if key.lower().endswith(".gz"):
        content = gzip.decompress(content)
    return content[3:] if content.startswith(codecs.BOM_UTF8) else content


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
        yield _record(lines[start - 1 : consumed], start, fields, len(header), positions)


def _record(
    record_lines: list[str],
    start: int,
    fields: list[str],
    width: int,
    positions: list[int | None],
) -> tuple[int, str | None, str | None, list[str | None]]:
    """The verdict on one tokenised record: ``record_lines`` from line ``start`` on."""
    raw = None
    error = None
    if len(fields) != width:
        error = MALFORMED_ROW
    elif any('"' in line for line in record_lines):
        raw = "".join(record_lines)
        if not _RFC4180_RECORD.fullmatch(raw):
            error = MALFORMED_ROW
    if error:
        raw = raw or "".join(record_lines)
        values = [fields[p] if p is not None and p < len(fields) else None for p in positions]
    else:
        values = [fields[p] if p is not None else None for p in positions]
    return start, error, raw if error else None, values


class _Lines:
    """The lines of an Arrow string array as Python strings, converted only when read.

    The ``csv`` module reads only the lines that need it (quotes, wrong field counts...),
    so most lines never become Python objects.
    """

    __slots__ = ("array",)

    def __init__(self, array: pa.Array) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            start, stop, _ = index.indices(len(self.array))
            return self.array.slice(start, max(stop - start, 0)).to_pylist()
        return self.array[index].as_py()


class _Feed:
    """An iterator over ``lines`` whose position the caller can move (for csv.reader)."""

    __slots__ = ("lines", "pos")

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.pos = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def split_lines(data: bytes) -> pa.Array:
    """UTF-8 ``data`` as an Arrow array of its lines, each with its line end, zero-copy.

    Line ends are those of ``io.StringIO(text, newline="").readlines()``: ``\n``,
    ``\r\n`` and a lone ``\r``. Raises ``UnicodeDecodeError`` for bytes that are not UTF-8.
    """
    raw = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(raw == 10) + 1
    returns = np.flatnonzero(raw == 13)
    if len(returns):  # a \r not followed by \n ends a line too (old Mac exports)
        following = raw[np.minimum(returns + 1, len(raw) - 1)]
        lone = returns[(returns + 1 == len(raw)) | (following != 10)]
        if len(lone):  # never at an LF's end: the byte there is a CR, not an LF
            ends = np.sort(np.concatenate([ends, lone + 1]))
    if len(ends) == 0 or ends[-1] != len(raw):
        ends = np.append(ends, len(raw))
    offsets = np.concatenate([[0], ends]) if len(raw) else np.zeros(1, np.int64)
    large = len(raw) >= 2**31 - 1
    lines = pa.Array.from_buffers(
        pa.large_string() if large else pa.string(),
        len(offsets) - 1,
        [None, pa.py_buffer(offsets.astype(np.int64 if large else np.int32)), pa.py_buffer(data)],
    )
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        data.decode("utf-8")  # raises the UnicodeDecodeError that says where
        raise
    return lines


def _lines_needing_csv(data: bytes, lines: pa.Array) -> np.ndarray:
    """Per line: holds a quote or NUL byte, or is at least the field size limit long."""
    raw = np.frombuffer(data, np.uint8)
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    offsets = np.frombuffer(lines.buffers()[1], width, len(lines) + 1)
    special = np.diff(offsets) >= FIELD_SIZE_LIMIT  # bytes >= characters: csv decides
    marked = np.flatnonzero((raw == 34) | (raw == 0))
    special[np.searchsorted(offsets, marked, side="right") - 1] = True
    return special


def parse_csv_table(text: str | bytes, columns: Sequence[str], key: str) -> pa.Table:
    """:func:`parse_csv_text`'s records of one file as an Arrow table of :func:`record_schema`.

    ``text`` may be the file's UTF-8 bytes (BOM already removed): its lines then become
    an Arrow array without ever being Python strings. A line is split column-wise by
    Arrow when ``csv`` would read it as one record of plain comma-separated fields: no
    quote character (so it neither starts nor ends a quoted field), no NUL, shorter
    than the field size limit, not blank, and exactly as many fields as the header.
    Every other line starts a record that ``csv`` reads, in file order, consuming as
    many lines as that record spans (a quoted line break makes the next lines part of
    it, whatever they contain); the lines it consumed are taken out of the column-wise
    set. Rows come out in line order. Raises :class:`UnreadableHeader` as
    :func:`parse_csv_text` does.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    all_lines = split_lines(data)
    lines = _Lines(all_lines)
    feed = _Feed(lines)
    reader = csv.reader(feed, strict=True)
    header: list[str] | None = None
    while header is None:
        start = feed.pos + 1
        try:
            fields = next(reader)
        except StopIteration:
            return _empty_table(columns)
        except csv.Error:
            raise UnreadableHeader(f"header line {start} is not valid CSV") from None
        if fields:
            header = [name.strip(" ").lower() for name in fields]
    positions = [header.index(c) if c in header else None for c in columns]
    first = feed.pos  # index in ``lines`` of the first line after the header record
    body = all_lines.slice(first)
    if len(body) == 0:
        return _empty_table(columns)
    stripped = pc.utf8_rtrim(body, characters="\r\n")
    parts = pc.split_pattern(stripped, ",")
    blank = pc.equal(stripped, "").to_numpy(zero_copy_only=False)
    special = _lines_needing_csv(data, all_lines)[first:]
    plain = ~special & (pc.list_value_length(parts).to_numpy(zero_copy_only=False) == len(header))
    column_wise = plain & ~blank
    by_csv = np.flatnonzero(~(column_wise | blank))

    slow: list[tuple[int, str | None, str | None, list[str | None]]] = []
    next_free = 0
    for index in by_csv.tolist():
        if index < next_free:
            continue
        feed.pos = first + index
        try:
            fields = next(reader)
            failed = False
        except csv.Error:
            failed = True
        consumed = feed.pos
        next_free = consumed - first
        column_wise[index:next_free] = False
        start = first + index + 1
        record_lines = lines[start - 1 : consumed]
        if failed:
            slow.append((start, MALFORMED_ROW, "".join(record_lines), [None] * len(columns)))
        elif fields:
            slow.append(_record(record_lines, start, fields, len(header), positions))

    fast_index = np.flatnonzero(column_wise)
    # field p of a plain line i is flat value offsets[i] + p: one take per column
    field_starts = parts.offsets.to_numpy()[fast_index]
    flat = parts.flatten()
    fast_columns = [
        flat.take(pa.array(field_starts + p)) if p is not None else pa.nulls(len(fast_index))
        for p in positions
    ]
    fast = pa.Table.from_arrays(
        [
            pa.repeat(pa.scalar(key, pa.string()), len(fast_index)),
            pa.array(fast_index + (first + 1), type=pa.int32()),
            pa.nulls(len(fast_index), pa.string()),
            pa.nulls(len(fast_index), pa.string()),
            *fast_columns,
        ],
        schema=arrow_record_schema(columns),
    )
    if not slow:
        return fast
    table = pa.concat_tables([fast, _rows_table(slow, columns, key)])
    return table.take(pc.sort_indices(table["source_line"]))


def arrow_record_schema(columns: Sequence[str]) -> pa.Schema:
    """:func:`record_schema` in Arrow types (what ``mapInArrow`` hands to Spark)."""
    return pa.schema(
        [
            pa.field(f.name, pa.int32() if f.name == "source_line" else pa.string())
            for f in record_schema(columns)
        ]
    )


def _rows_table(
    rows: list[tuple[int, str | None, str | None, list[str | None]]],
    columns: Sequence[str],
    key: str,
) -> pa.Table:
    values = list(zip(*(row[3] for row in rows), strict=True)) or [()] * len(columns)
    return pa.Table.from_arrays(
        [
            pa.repeat(pa.scalar(key, pa.string()), len(rows)),
            pa.array([row[0] for row in rows], type=pa.int32()),
            pa.array([row[1] for row in rows], type=pa.string()),
            pa.array([row[2] for row in rows], type=pa.string()),
            *(pa.array(list(column), type=pa.string()) for column in values),
        ],
        schema=arrow_record_schema(columns),
    )


def _empty_table(columns: Sequence[str]) -> pa.Table:
    return arrow_record_schema(columns).empty_table()


def _records_from_files(columns: Sequence[str], key_of: dict[str, str]):
    """The function mapInArrow runs: (path, content) batches in, record batches out."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            paths, contents = batch.column("path"), batch.column("content")
            for i in range(batch.num_rows):
                table = file_table(contents[i].as_py(), key_of[paths[i].as_py()], columns)
                yield from table.to_batches(max_chunksize=BATCH_ROWS)
                del table
                pa.default_memory_pool().release_unused()  # keep the worker flat across files

    return run


def file_table(content: bytes, key: str, columns: Sequence[str]) -> pa.Table:
    """One file's records; an undecodable file or broken header is one bad_file marker."""
    width = len(columns)
    try:
        return parse_csv_table(file_bytes(content, key), columns, key)
    except UnreadableHeader as exc:
        return _rows_table([(0, BAD_FILE, str(exc), [None] * width)], columns, key)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        return _rows_table([(0, BAD_FILE, str(exc)[:500], [None] * width)], columns, key)


def packed_schema(added: Sequence[T.StructField]) -> T.StructType:
    """Schema of cleaned records whose raw text is packed (:func:`pack_raw_text`)."""
    lineage = record_schema(()).fields[:2]  # source_key, source_line
    raw = T.StructField(RAW_FIELDS, T.ArrayType(T.StringType()), True)
    return T.StructType([*lineage, *added, raw])


def pack_raw_text(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """Cleaned records with their raw text in one list column, only where ``reason`` is set.

    Quarantine needs the raw fields of rejected rows only (a few per cent); as ten mostly
    null columns they cost every row on its way through the JVM, the cache and the
    shuffle (bench/TUNING.md). ``parse_error`` goes too: ``reason`` carries it.
    """
    names = [f"raw_{name}" for name in columns] + ["raw_record"]
    kept = np.flatnonzero(pc.is_valid(table.column("reason")).to_numpy(zero_copy_only=False))
    values = pa.concat_arrays(
        [table.column(name).combine_chunks().take(pa.array(kept)) for name in names]
    )
    row_major = (np.arange(len(kept))[:, None] + np.arange(len(names)) * len(kept)).ravel()
    counts = np.zeros(table.num_rows, np.int32)
    counts[kept] = len(names)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    packed = pa.ListArray.from_arrays(
        offsets, values.take(pa.array(row_major)), mask=pa.array(counts == 0)
    )
    return table.drop_columns([*names, "parse_error"]).append_column(RAW_FIELDS, packed)


def read_csv_records(
    spark: SparkSession, files: dict[str, str], columns: Sequence[str]
) -> DataFrame:
    """Parse ``files`` (``{uri: lake key}``) into records with raw string columns."""
    schema = record_schema(columns)
    if not files:
        return spark.createDataFrame([], schema)
    raw = spark.read.format("binaryFile").load([escape_glob(uri) for uri in files])
    qualified = {qualified_uri(spark, uri): key for uri, key in files.items()}
    return raw.select("path", "content").mapInArrow(_records_from_files(columns, qualified), schema)


def qualified_uri(spark: SparkSession, uri: str) -> str:
    """The path string Spark's file sources report for ``uri`` (``file:/…`` locally)."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs.makeQualified(path).toString()
