"""Whole-column value parsing on Arrow arrays: the building blocks of vectorised rules.

A rule written with these runs in Arrow's C++ kernels (RE2 regexes, casts) and numpy,
a column at a time, inside the parse step's Python worker: no per-row Python and no
per-row JVM expression (bench/TUNING.md has what that bought). Numbers come back as
numpy arrays plus a validity mask, so rules combine them with plain array arithmetic;
the ``*_array`` functions turn them back into typed Arrow columns for Spark.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MICROS_PER_DAY = 86_400_000_000
_PADDING = 64  # bytes after the data: more than any position a rule reads past a value
_UNIX_EPOCH_DAYS = 719_468  # days from 0000-03-01 to 1970-01-01 (proleptic Gregorian)


def trim_spaces(values: pa.Array) -> pa.Array:
    """Leading and trailing spaces (only U+0020) removed, as Spark's ``trim``."""
    return pc.utf8_trim(values, characters=" ")


def is_blank(values: pa.Array) -> np.ndarray:
    """True where the value is null or only spaces."""
    return _mask(pc.equal(trim_spaces(values), ""), null_as=True)


def upper(values: pa.Array) -> pa.Array:
    """Upper case as Python and Java do it (``ß`` -> ``SS``), fast for ASCII text.

    Arrow's ``utf8_upper`` maps one code point to one, so the few non-ASCII values are
    upper-cased by ``str.upper`` one at a time.
    """
    result = pc.ascii_upper(values)
    non_ascii = ~_mask(pc.string_is_ascii(values), null_as=True)
    if not non_ascii.any():
        return result
    rows = np.flatnonzero(non_ascii)
    uppers = [text.upper() for text in values.take(pa.array(rows)).to_pylist()]
    return pc.replace_with_mask(result, pa.array(non_ascii), pa.array(uppers, pa.string()))


def matches(values: pa.Array, pattern: str) -> np.ndarray:
    """True where ``values`` matches the RE2 ``pattern`` (false for nulls)."""
    return _mask(pc.match_substring_regex(values, pattern), null_as=False)


class TextBytes:
    """The UTF-8 bytes of a string array, to read ASCII digits at known positions.

    Once a regex has vouched for a value's shape, its numbers sit at positions that can
    be computed for all rows at once (``lengths - 6``...); reading them as bytes with
    numpy costs a fraction of regex capture groups and string-to-int casts. Positions
    outside a value read as byte 0, so rows that did not match never fault.
    """

    def __init__(self, values: pa.Array) -> None:
        values = values.cast(pa.string())
        count = len(values)
        _, offsets_buffer, data_buffer = values.buffers()
        offsets = np.frombuffer(offsets_buffer, np.int32, count + 1, values.offset * 4)
        self.starts = offsets[:-1].astype(np.int64)
        self.lengths = np.diff(offsets).astype(np.int64)
        data = np.frombuffer(data_buffer, np.uint8) if data_buffer else np.zeros(0, np.uint8)
        # zero padding: a position past a row's end indexes real memory (masked after)
        self.data = np.concatenate([data, np.zeros(_PADDING, np.uint8)])
        self._columns: dict[int, np.ndarray] = {}  # fixed position -> its bytes, read once

    def byte_at(self, position: np.ndarray | int) -> np.ndarray:
        """Each value's byte at ``position`` (0 when outside the value)."""
        if np.ndim(position) == 0:
            column = self._columns.get(int(position))
            if column is None:
                column = self._columns[int(position)] = self._gather(position)
            return column
        return self._gather(position)

    def _gather(self, position: np.ndarray | int) -> np.ndarray:
        inside = (position >= 0) & (position < self.lengths)
        return np.where(inside, self.data[self.starts + position], 0)

    def digits(self, position: np.ndarray | int, width: np.ndarray | int) -> np.ndarray:
        """The number written by the ``width`` ASCII digits at ``position`` (0 if width 0).

        Costs one pass per digit of the widest value: give unmatched rows width 0.
        """
        fixed = np.ndim(width) == 0
        value = np.zeros(len(self.lengths), np.int64)
        for k in range(int(np.max(width, initial=0))):
            digit = self.byte_at(position + k).astype(np.int64) - 48
            value = value * 10 + digit if fixed else np.where(k < width, value * 10 + digit, value)
        return value


def days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    return lengths[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)


def is_calendar_date(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """A real day of years 1-9999 (what Python's ``date`` and Hive's DATE hold)."""
    in_range = (year >= 1) & (year <= 9999) & (month >= 1) & (month <= 12) & (day >= 1)
    return in_range & (day <= days_in_month(year, month))


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    shifted = year - (month <= 2)
    era = np.floor_divide(shifted, 400)
    year_of_era = shifted - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - _UNIX_EPOCH_DAYS


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01: the inverse of :func:`days_from_civil`."""
    shifted = days + _UNIX_EPOCH_DAYS
    era = np.floor_divide(shifted, 146_097)
    day_of_era = shifted - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + np.where(month_index < 10, 3, -9)
    return year_of_era + era * 400 + (month <= 2), month, day


def date_array(days: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Arrow ``date32`` from days since the epoch; null where not ``valid``."""
    return pa.array(np.where(valid, days, 0).astype(np.int32), pa.date32(), mask=~valid)


def timestamp_array(micros: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Arrow UTC microsecond timestamps (Spark's ``TimestampType``); null where not ``valid``."""
    return pa.array(np.where(valid, micros, 0), pa.timestamp("us", tz="UTC"), mask=~valid)


def decimal_array(unscaled: np.ndarray, valid: np.ndarray, precision: int, scale: int) -> pa.Array:
    """Arrow ``decimal128(precision, scale)`` from int64 unscaled values, exactly.

    The 128-bit little-endian words are written directly: no float, no per-row objects.
    """
    low = np.where(valid, unscaled, 0).astype(np.int64)
    words = np.empty((len(low), 2), dtype=np.int64)
    words[:, 0] = low
    words[:, 1] = np.where(low < 0, -1, 0)
    validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale),
        len(low),
        [validity, pa.py_buffer(words)],
        null_count=int(len(low) - np.count_nonzero(valid)),
    )


def year_month_text(year: np.ndarray, month: np.ndarray, valid: np.ndarray) -> pa.Array:
    """``YYYY-MM`` strings (null where not ``valid``)."""
    years = pc.utf8_lpad(pa.array(year, pa.int64()).cast(pa.string()), 4, "0")
    months = pc.utf8_lpad(pa.array(month, pa.int64()).cast(pa.string()), 2, "0")
    text = pc.binary_join_element_wise(years, months, "-")
    return pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))


def _mask(values: pa.Array, null_as: bool) -> np.ndarray:
    return pc.fill_null(values, null_as).to_numpy(zero_copy_only=False)
