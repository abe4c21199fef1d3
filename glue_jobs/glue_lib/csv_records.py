"""RFC 4180 CSV text to one record per row, with the 1-based line it starts on.

Spark's CSV reader cannot say on which line a record started, nor reject broken quoting,
and the contract needs both (quarantine rows carry file key and line). So a file is
tokenised here, in Python, by the ``csv`` module (quoted commas and line breaks), one
block of bytes at a time (:func:`stream_csv_tables`): a worker's memory is bounded by the
block, not the file. Values stay raw strings; cleaning is the dataset's Spark rules.
``raw_files`` runs this inside ``mapInArrow`` and hands Spark the Arrow batches.

Speed: most lines of a real export are one record with no quote character, and for those
Python's ``csv`` module only splits on commas. Such lines are split column-wise with Arrow
compute kernels; only the other lines (quotes, wrong field counts, NUL, huge lines) go to
``csv``, one record at a time. The records are exactly :func:`parse_csv_text`'s (same
lines, verdicts, raw text, values), which the tests check on random files and blocks.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import types as T

MALFORMED_ROW = "malformed_row"
BAD_FILE = "bad_file"
_RFC4180_FIELD = r'(?:"(?:[^"]|"")*"|[^",\r\n]*)'
_RFC4180_RECORD = re.compile(rf"{_RFC4180_FIELD}(?:,{_RFC4180_FIELD})*\r?\n?")

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
    """:func:`parse_csv_text`'s records of one whole file as an Arrow table of
    :func:`record_schema` (``text`` may be the file's UTF-8 bytes, BOM removed)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    tables = list(stream_csv_tables([data], columns, key))
    return pa.concat_tables(tables) if tables else _empty_table(columns)


def stream_csv_tables(
    blocks: Iterable[bytes], columns: Sequence[str], key: str
) -> Iterator[pa.Table]:
    """The records of one file whose UTF-8 bytes (BOM removed) come in ``blocks`` of any
    size: tables of :func:`record_schema` rows, in line order, exactly
    :func:`parse_csv_text`'s records of the whole text.

    Memory is bounded by a block plus the longest record, never by the file: each block is
    cut after its last line end, and a record that ``csv`` reads up to the end of what is
    cut (it may go on: a quoted line break) is carried, with the lines after it, into the
    next block. Raises :class:`UnreadableHeader` as :func:`parse_csv_text` does and
    ``UnicodeDecodeError`` for bytes that are not UTF-8 (rows of earlier blocks may already
    have been yielded: the caller rejects the file whole).
    """
    parser = _BlockParser(columns, key)
    pending = b""
    for block in blocks:
        data = pending + block if pending else block
        cut = _after_last_line_end(data)
        table, carried = parser.parse(data[:cut], final=False)
        pending = data[carried:]
        if table is not None:
            yield table
    table, _ = parser.parse(pending, final=True)
    if table is not None:
        yield table


def _after_last_line_end(data: bytes) -> int:
    """Where the complete lines of ``data`` end: after its last ``\\n``, or after a lone
    ``\\r`` that is not the last byte (which could be half of a ``\\r\\n``); 0 if none."""
    newline = data.rfind(b"\n")
    if newline >= 0:
        return newline + 1
    carriage = data.rfind(b"\r", 0, len(data) - 1)
    return carriage + 1


class _BlockParser:
    """The state that carries from one block of a file to the next: the header, the
    physical lines already consumed, the byte offsets of this block's lines."""

    def __init__(self, columns: Sequence[str], key: str) -> None:
        self.columns, self.key = columns, key
        self.header: list[str] | None = None
        self.positions: list[int | None] = []
        self.lines_before = 0  # physical lines of the file before the current block

    def parse(self, data: bytes, final: bool) -> tuple[pa.Table | None, int]:
        """The records of ``data`` (complete lines) and where the carried bytes start: at
        the first line of a record that may go on past ``data`` (``len(data)`` if none)."""
        if not data:
            return None, 0
        all_lines = split_lines(data)
        lines = _Lines(all_lines)
        feed = _Feed(lines)
        reader = csv.reader(feed, strict=True)
        first = 0
        while self.header is None:
            start = feed.pos
            try:
                fields = next(reader)
            except StopIteration:
                self.lines_before += len(lines)
                return None, len(data)
            except csv.Error:
                if feed.pos == len(lines) and not final:
                    return self._carry(all_lines, start)
                raise UnreadableHeader(
                    f"header line {self.lines_before + start + 1} is not valid CSV"
                ) from None
            if feed.pos == len(lines) and not final:
                return self._carry(all_lines, start)
            if fields:
                self.header = [name.strip(" ").lower() for name in fields]
                self.positions = [
                    self.header.index(c) if c in self.header else None for c in self.columns
                ]
            first = feed.pos
        table, end = self._records(data, all_lines, first, final)
        self.lines_before += end
        return table, _line_offset(all_lines, end)

    def _carry(self, all_lines: pa.Array, index: int) -> tuple[None, int]:
        self.lines_before += index
        return None, _line_offset(all_lines, index)

    def _records(
        self, data: bytes, all_lines: pa.Array, first: int, final: bool
    ) -> tuple[pa.Table | None, int]:
        """Records from line ``first`` on, and the index of the first line not consumed.

        A line is split column-wise by Arrow when ``csv`` would read it as one record of
        plain comma-separated fields: no quote character (so it neither starts nor ends a
        quoted field), no NUL, shorter than the field size limit, not blank, and exactly
        as many fields as the header. Every other line starts a record that ``csv`` reads,
        in file order, consuming as many lines as that record spans (a quoted line break
        makes the next lines part of it, whatever they contain); the lines it consumed
        are taken out of the column-wise set.
        """
        width, positions = len(self.header), self.positions
        body = all_lines.slice(first)
        end = len(all_lines)
        if len(body) == 0:
            return None, end
        lines = _Lines(all_lines)
        feed = _Feed(lines)
        reader = csv.reader(feed, strict=True)
        stripped = pc.utf8_rtrim(body, characters="\r\n")
        parts = pc.split_pattern(stripped, ",")
        blank = pc.equal(stripped, "").to_numpy(zero_copy_only=False)
        special = _lines_needing_csv(data, all_lines)[first:]
        plain = ~special & (pc.list_value_length(parts).to_numpy(zero_copy_only=False) == width)
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
            if consumed == end and not final:  # the record may go on in the next block
                column_wise[index:] = False
                end = first + index
                break
            next_free = consumed - first
            column_wise[index:next_free] = False
            start = first + index + 1
            record_lines = lines[start - 1 : consumed]
            line = self.lines_before + start
            if failed:
                slow.append((line, MALFORMED_ROW, "".join(record_lines), [None] * len(positions)))
            elif fields:
                slow.append(_record(record_lines, line, fields, width, positions))

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
                pa.repeat(pa.scalar(self.key, pa.string()), len(fast_index)),
                pa.array(fast_index + (self.lines_before + first + 1), type=pa.int32()),
                pa.nulls(len(fast_index), pa.string()),
                pa.nulls(len(fast_index), pa.string()),
                *fast_columns,
            ],
            schema=arrow_record_schema(self.columns),
        )
        if not slow:
            return fast, end
        table = pa.concat_tables([fast, _rows_table(slow, self.columns, self.key)])
        return table.take(pc.sort_indices(table["source_line"])), end


def _line_offset(lines: pa.Array, index: int) -> int:
    """The byte offset in the block where line ``index`` starts (its length past the end)."""
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    return int(np.frombuffer(lines.buffers()[1], width, len(lines) + 1)[index])


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


def bad_file_record(key: str, columns: Sequence[str], message: str) -> pa.Table:
    """The one ``bad_file`` marker row of a file that cannot be read: ``raw_record`` says why."""
    return _rows_table([(0, BAD_FILE, message[:500], [None] * len(columns))], columns, key)
