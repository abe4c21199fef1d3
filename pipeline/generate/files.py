"""Building blocks every raw-CSV generator shares: weighted draws, file plans, CSV text with
hand-broken lines, gzip/BOM streams into the lake and pinned modification times.

Nothing here knows a dataset: the generators (``orders.py``, ``salaries.py``) decide the
values, the dirt and the file layout, and use these helpers to spell and write them.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import os
import posixpath
import random
import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO

from pipeline.lake import Lake

# Malformed-line kinds :func:`broken_line` writes (both are ``malformed_row`` rows).
WRONG_FIELD_COUNT = "wrong_field_count"
BROKEN_QUOTE = "broken_quote"


@dataclass(frozen=True)
class Weighted:
    """Spellings with relative weights, drawn many at a time.

    The weights are laid out in a lookup table of ``2**bits`` slots indexed by random
    bytes: ten times faster than ``random.choices`` with weights, which matters at 1M rows.
    """

    table: tuple[str, ...]
    bits: int

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, float]]) -> Weighted:
        values, weights = zip(*pairs, strict=True)
        bits = 16 if len(values) <= 4_096 else 20
        slots, total = 1 << bits, sum(weights)
        table: list[str] = []
        for value, cumulative in zip(values, itertools.accumulate(weights), strict=True):
            table += [value] * (round(cumulative / total * slots) - len(table))
        return cls(tuple(table), bits)

    def draw(self, rng: random.Random, k: int) -> list[str]:
        table, shift = self.table, 32 - self.bits
        return [table[number >> shift] for number in random_uint32s(rng, k)]


def random_uint32s(rng: random.Random, k: int) -> array:
    """``k`` random 32-bit numbers in one call, the same on every platform."""
    numbers = array("I")
    if numbers.itemsize != 4:
        numbers = array("L")
    numbers.frombytes(rng.randbytes(4 * k))
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers


@dataclass(frozen=True)
class FilePlan:
    """Where one data file goes and how it is spelled."""

    index: int
    key: str
    first_row: int
    rows: int
    columns: tuple[str, ...]
    header: tuple[str, ...]
    gzip: bool
    bom: bool
    crlf: bool

    @property
    def terminator(self) -> str:
        return "\r\n" if self.crlf else "\n"


def spell_header(rng: random.Random, name: str) -> str:
    """A header name as exports write it: mostly as is, sometimes re-cased or padded."""
    spellings = (name, name.upper(), name.title(), f" {name}", f"{name} ", f" {name.title()} ")
    return rng.choices(spellings, weights=(50, 10, 15, 10, 10, 5))[0]


def broken_line(
    rng: random.Random,
    kind: str,
    record: Sequence[str],
    plan: FilePlan,
    *,
    quote_column: str,
    number_column: str,
    fallback: str,
    blank_columns: Sequence[str] = ("notes",),
) -> str:
    """A hand-written malformed line, alone on its physical line.

    ``broken_quote`` spoils ``quote_column`` as ``"C1" ,`` / ``"C"1,`` (csv.Error) or a
    stray ``C"1`` (not RFC 4180; ``fallback`` stands in for a blank value);
    ``wrong_field_count`` writes an unquoted ``1,299.50`` into ``number_column``, cuts
    the last field or adds a trailing comma. ``blank_columns`` (free text that might hold
    line breaks) are left empty so the damage stays on one line.
    """
    fields = [
        "" if name in blank_columns else quote(value)
        for name, value in zip(plan.columns, record, strict=True)
    ]
    if kind == BROKEN_QUOTE:
        index = plan.columns.index(quote_column)
        value = record[index].strip() or fallback
        head, tail = value[:3], value[3:]
        fields[index] = rng.choice((f'"{value}" ', f'"{head}"{tail}', f'{head}"{tail}'))
    else:
        variant = rng.randrange(3)
        if variant == 0:  # a thousands separator nobody quoted
            index = plan.columns.index(number_column)
            fields[index] = (
                f"{rng.randint(1, 9)},{rng.randrange(1000):03d}.{rng.randrange(100):02d}"
            )
        elif variant == 1:  # a truncated line
            fields.pop()
        else:  # a trailing comma
            fields.append("")
    return ",".join(fields) + plan.terminator


def quote(value: str) -> str:
    """``value`` as one RFC 4180 field (quoted only when it has to be)."""
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_text(records: list[tuple[str, ...]], raw_lines: dict[int, str], terminator: str) -> str:
    """CSV text of the records, with the hand-written broken lines spliced in."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=terminator)
    start = 0
    for pos in sorted(raw_lines):
        writer.writerows(records[start:pos])
        buffer.write(raw_lines[pos])
        start = pos + 1
    writer.writerows(records[start:])
    return buffer.getvalue()


def ensure_parent(lake: Lake, key: str) -> str:
    """The object's URI, with its parent folder created on a local lake."""
    uri = lake.uri(key)
    if lake.is_local:
        lake.fs.makedirs(posixpath.dirname(uri), exist_ok=True)
    return uri


@contextmanager
def open_binary(lake: Lake, key: str, *, gzipped: bool, bom: bool) -> Iterator[IO[bytes]]:
    """A byte stream into the lake object, gzip-compressed and/or UTF-8-BOM-prefixed."""
    with lake.fs.open(ensure_parent(lake, key), "wb") as raw:
        if not gzipped:
            raw.write(codecs.BOM_UTF8 if bom else b"")
            yield raw
            return
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
            gz.write(codecs.BOM_UTF8 if bom else b"")
            yield gz


def pin_mtimes(lake: Lake, keys: list[str], landing_date: date) -> None:
    """Noon UTC of the landing date + i minutes: a stable 'latest file' order (local only)."""
    if not lake.is_local:
        return
    noon = datetime.combine(landing_date, time(12), tzinfo=UTC).timestamp()
    root = Path(lake.root.removeprefix("file://"))
    for minute, key in enumerate(keys):
        stamp = noon + 60 * minute
        os.utime(root / key, (stamp, stamp))
