"""The orders contract as vectorised rules over Arrow columns (no I/O, no session).

Input: records from :func:`glue_lib.csv_records.read_csv_records` (``raw_<column>``
strings, ``source_key``, ``source_line``, ``parse_error``) as an Arrow table. Every rule
works on a whole column at a time (RE2 regexes, casts and numpy arithmetic, see
``arrow_values``); the first failing rule names the row's one rejection reason.

:func:`clean_table` runs inside the parse step's Python worker, so raw values never
become JVM rows to be parsed again one at a time there; :func:`clean` applies it to a
DataFrame of records.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from . import arrow_values as av
from .countries import country_lookup

COLUMNS = (
    "order_id",
    "customer_id",
    "order_date",
    "status",
    "quantity",
    "unit_price",
    "country",
    "updated_at",
)
REQUIRED = COLUMNS[:6]
STATUSES = ("pending", "shipped", "delivered", "cancelled", "returned")
STATUS_ALIASES = {"canceled": "cancelled"}
REASONS = (
    "malformed_row",
    "missing_field",
    "bad_date",
    "bad_status",
    "bad_quantity",
    "bad_price",
)
MAX_INT = 2_147_483_647
MAX_PRICE_CENTS = 999_999_999_999  # decimal(12,2)
MAX_AMOUNT_CENTS = 99_999_999_999_999  # decimal(14,2)
QUANTITY_DIGITS = 10  # significant digits of 2^31-1
PRICE_INTEGER_DIGITS = 11  # digits before the point that a price may carry before rounding
MAX_OFFSET_MINUTES = 18 * 60  # java.time.ZoneOffset's range, which Glue's Spark keeps
UNKNOWN_COUNTRY = "UNKNOWN"
KEY = "order_id"
TABLE = "orders"

PROCESSED_COLUMNS = (
    "order_id",
    "customer_id",
    "order_date",
    "status",
    "quantity",
    "unit_price",
    "country",
    "updated_at",
    "amount",
    "order_month",
    "source_key",
    "source_line",
)

# What clean_table adds to the records, in this order.
CLEANED_FIELDS = (
    T.StructField("order_id", T.StringType()),
    T.StructField("customer_id", T.StringType()),
    T.StructField("order_date", T.DateType()),
    T.StructField("status", T.StringType()),
    T.StructField("quantity", T.IntegerType()),
    T.StructField("unit_price", T.DecimalType(12, 2)),
    T.StructField("updated_at", T.TimestampType()),
    T.StructField("country", T.StringType()),
    T.StructField("amount", T.DecimalType(14, 2)),
    T.StructField("order_month", T.StringType()),
    T.StructField("reason", T.StringType()),
)

# RE2 patterns: each vouches for a value's shape, so its numbers can be read from known
# byte positions (arrow_values.TextBytes). \z is the end of the text (a quoted value may
# end in a line break).
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_SLASH_YMD = r"\d{4}/\d{2}/\d{2}"
_US_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
_ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
# one regex pass per column; which form matched is then told apart by length and bytes
_ORDER_DATE_FORMS = rf"^(?:{_ISO_DATE}|{_SLASH_YMD}|{_US_DATE}|{_ISO_TIMESTAMP})\z"
_UPDATED_AT_FORMS = rf"^(?:{_ISO_DATE}|{_ISO_TIMESTAMP})\z"
_QUANTITY = r"^\+?\d+\z"
_PRICE = r"^\$?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\z"
_SIGNS = (ord("+"), ord("-"))


class Parsed:
    """Numbers parsed from one column: int64 values and where they are valid."""

    __slots__ = ("valid", "values")

    def __init__(self, values: np.ndarray, valid: np.ndarray) -> None:
        self.values = np.where(valid, values, 0)
        self.valid = valid


def _ymd_at_start(text: av.TextBytes, matched: np.ndarray) -> Parsed:
    """``YYYY?MM?DD`` at the start of each matched value -> days since the epoch."""
    year, month, day = text.digits(0, 4), text.digits(5, 2), text.digits(8, 2)
    valid = matched & av.is_calendar_date(year, month, day)
    return Parsed(av.days_from_civil(year, month, day), valid)


def _iso_timestamp(text: av.TextBytes, matched: np.ndarray) -> Parsed:
    """Trimmed values that matched ``_ISO_TIMESTAMP`` -> UTC micros.

    ``Z`` or ``±HH:MM``/``±HHMM`` (none means UTC); seconds and a fraction (truncated to
    microseconds, Spark's precision) are optional; the offset must be at most 18:00 with
    minutes under 60.
    """
    length = text.lengths
    date = _ymd_at_start(text, matched)
    hour, minute = text.digits(11, 2), text.digits(14, 2)
    second = np.where(text.byte_at(16) == ord(":"), text.digits(17, 2), 0)
    zone_width = np.select(
        [
            text.byte_at(length - 1) == ord("Z"),
            np.isin(text.byte_at(length - 6), _SIGNS) & (text.byte_at(length - 3) == ord(":")),
            np.isin(text.byte_at(length - 5), _SIGNS),
        ],
        [1, 6, 5],
        0,
    )
    fraction_width = np.where(text.byte_at(19) == ord("."), length - zone_width - 20, 0)
    kept = np.minimum(fraction_width, 6)  # truncated to microseconds, Spark's precision
    micros = text.digits(20, kept) * 10 ** (6 - kept)
    has_offset = zone_width > 1
    offset_hours = np.where(has_offset, text.digits(length - zone_width + 1, 2), 0)
    offset_minutes = np.where(has_offset, text.digits(length - 2, 2), 0)
    offset = offset_hours * 60 + offset_minutes
    behind = has_offset & (text.byte_at(length - zone_width) == ord("-"))
    valid = date.valid & (hour <= 23) & (minute <= 59) & (second <= 59)
    valid &= (offset_minutes <= 59) & (offset <= MAX_OFFSET_MINUTES)
    seconds = ((date.values * 24 + hour) * 60 + minute) * 60 + second
    seconds -= np.where(behind, -offset, offset) * 60
    utc = seconds * 1_000_000 + micros
    return Parsed(utc, valid & _utc_date_in_range(utc))


_FIRST_DAY = int(av.days_from_civil(np.array(1), np.array(1), np.array(1)))
_AFTER_LAST_DAY = int(av.days_from_civil(np.array(10_000), np.array(1), np.array(1)))


def _utc_date_in_range(micros: np.ndarray) -> np.ndarray:
    """Whether the UTC day falls in years 1-9999."""
    return (micros >= _FIRST_DAY * av.MICROS_PER_DAY) & (
        micros < _AFTER_LAST_DAY * av.MICROS_PER_DAY
    )


def parse_order_date(text: pa.Array) -> Parsed:
    """Any accepted order_date form -> days since the epoch (the UTC date)."""
    value = av.trim_spaces(text)
    chars = av.TextBytes(value)
    shaped = av.matches(value, _ORDER_DATE_FORMS)
    ten_long = chars.lengths == 10
    iso = shaped & ten_long & (chars.byte_at(4) == ord("-"))
    slash = shaped & ten_long & (chars.byte_at(4) == ord("/")) & (chars.byte_at(7) == ord("/"))
    stamped = shaped & (chars.byte_at(10) == ord("T"))
    us = shaped & ~(iso | slash | stamped)
    month_width = np.where(chars.byte_at(1) == ord("/"), 1, 2)
    year = chars.digits(chars.lengths - 4, 4)
    month = chars.digits(0, month_width)
    day = chars.digits(month_width + 1, np.where(us, chars.lengths - month_width - 6, 0))
    stamp = _iso_timestamp(chars, stamped)
    forms = [
        _ymd_at_start(chars, iso | slash),
        Parsed(av.days_from_civil(year, month, day), us & av.is_calendar_date(year, month, day)),
        Parsed(np.floor_divide(stamp.values, av.MICROS_PER_DAY), stamp.valid),
    ]
    days = np.select([form.valid for form in forms], [form.values for form in forms], 0)
    return Parsed(days, np.logical_or.reduce([form.valid for form in forms]))


def parse_updated_at(text: pa.Array) -> Parsed:
    """Optional ISO timestamp (or plain date = midnight UTC) -> UTC micros."""
    value = av.trim_spaces(text)
    chars = av.TextBytes(value)
    shaped = av.matches(value, _UPDATED_AT_FORMS)
    iso = shaped & (chars.lengths == 10)
    date = _ymd_at_start(chars, iso)
    stamp = _iso_timestamp(chars, shaped & ~iso)
    micros = np.where(iso, date.values * av.MICROS_PER_DAY, stamp.values)
    return Parsed(micros, np.where(iso, date.valid, stamp.valid))


def parse_status(text: pa.Array) -> pa.Array:
    """Lower-case status word, aliases resolved; null when not a contract status.

    ASCII lower-casing decides membership exactly as full Unicode lower-casing would:
    no other character lower-cases to a letter of a status word.
    """
    value = pc.ascii_lower(av.trim_spaces(text))
    for alias, status in STATUS_ALIASES.items():
        value = pc.if_else(pc.equal(value, alias), status, value)
    known = pc.fill_null(pc.is_in(value, pa.array(STATUSES)), False)
    return pc.if_else(known, value, pa.scalar(None, pa.string()))


def parse_quantity(text: pa.Array) -> Parsed:
    """Whole number 1..2^31-1, spaces, leading zeros and a leading ``+`` allowed."""
    value = av.trim_spaces(text)
    matched = av.matches(value, _QUANTITY)
    chars = av.TextBytes(pc.utf8_ltrim(value, characters="+0"))  # the significant digits
    fits = matched & (chars.lengths <= QUANTITY_DIGITS)
    number = chars.digits(0, np.where(fits, chars.lengths, 0))
    return Parsed(number, fits & (number >= 1) & (number <= MAX_INT))


def parse_unit_price(text: pa.Array) -> Parsed:
    """``$1,299.50`` style decimal text -> cents, rounded half-up; at most MAX_PRICE.

    Half-up rounding to cents depends only on the third decimal, so the fraction is cut
    to three digits: exact for any number of decimals, in int64 arithmetic. Leading
    zeros are dropped first, so only real digits count against decimal(14,3)'s 11.
    """
    value = av.trim_spaces(text)
    matched = av.matches(value, _PRICE)
    number = pc.utf8_ltrim(pc.replace_substring_regex(value, "[$,]", ""), characters="0")
    chars = av.TextBytes(number)
    dot = pc.fill_null(pc.find_substring(number, "."), -1).to_numpy().astype(np.int64)
    whole_width = np.where(dot >= 0, dot, chars.lengths)
    fraction_width = np.minimum(np.where(dot >= 0, chars.lengths - dot - 1, 0), 3)
    fits = matched & (whole_width <= PRICE_INTEGER_DIGITS)
    units = chars.digits(0, np.where(fits, whole_width, 0))
    thousandths = chars.digits(whole_width + 1, fraction_width) * 10 ** (3 - fraction_width)
    cents = (units * 1000 + thousandths + 5) // 10
    return Parsed(cents, fits & (cents <= MAX_PRICE_CENTS))


def normalise_country(text: pa.Array) -> pa.Array:
    """ISO alpha-2/alpha-3 code or English name (any case) -> alpha-2, else UNKNOWN."""
    lookup = country_lookup()
    names = pa.array(list(lookup), pa.string())
    codes = pa.array(list(lookup.values()), pa.string())
    found = pc.index_in(av.upper(av.trim_spaces(text)), value_set=names)
    return pc.fill_null(codes.take(found), UNKNOWN_COUNTRY)


def clean_table(records: pa.Table) -> pa.Table:
    """Add cleaned columns and ``reason`` (null for a clean row) to parsed records."""
    raw = {name: records.column(f"raw_{name}").combine_chunks() for name in COLUMNS}
    order_date = parse_order_date(raw["order_date"])
    updated_at = parse_updated_at(raw["updated_at"])
    status = parse_status(raw["status"])
    quantity = parse_quantity(raw["quantity"])
    price = parse_unit_price(raw["unit_price"])
    priced = quantity.valid & price.valid
    too_large = priced & (quantity.values > MAX_AMOUNT_CENTS // np.maximum(price.values, 1))
    amount = Parsed(quantity.values * np.where(too_large, 0, price.values), priced & ~too_large)
    year, month, _ = av.civil_from_days(order_date.values)

    parse_error = records.column("parse_error").combine_chunks()
    checks = [
        np.logical_or.reduce([av.is_blank(raw[name]) for name in REQUIRED]),
        ~order_date.valid | (~av.is_blank(raw["updated_at"]) & ~updated_at.valid),
        pc.is_null(status).to_numpy(zero_copy_only=False),
        ~quantity.valid,
        ~price.valid,
        too_large,
    ]
    labels = pa.array([*REASONS[1:], "bad_quantity"])  # one per check, in order
    codes = np.select(checks, range(len(checks)), -1)
    reason = pc.coalesce(parse_error, labels.take(pa.array(codes, mask=codes < 0)))
    cleaned = {
        "order_id": av.trim_spaces(raw["order_id"]),
        "customer_id": av.upper(av.trim_spaces(raw["customer_id"])),
        "order_date": av.date_array(order_date.values, order_date.valid),
        "status": status,
        "quantity": pa.array(quantity.values.astype(np.int32), pa.int32(), mask=~quantity.valid),
        "unit_price": av.decimal_array(price.values, price.valid, 12, 2),
        "updated_at": av.timestamp_array(updated_at.values, updated_at.valid),
        "country": normalise_country(raw["country"]),
        "amount": av.decimal_array(amount.values, amount.valid, 14, 2),
        "order_month": av.year_month_text(year, month, order_date.valid),
        "reason": reason,
    }
    for name, column in cleaned.items():
        records = records.append_column(name, column)
    return records


def clean(records: DataFrame) -> DataFrame:
    """:func:`clean_table` over a DataFrame of parsed records."""
    schema = T.StructType([*records.schema.fields, *CLEANED_FIELDS])

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield from clean_table(pa.Table.from_batches([batch])).to_batches()

    return records.mapInArrow(run, schema)


# Among valid rows of one order_id: latest updated_at (null oldest), file, line.
LATEST_FIRST = (
    ("updated_at", "descending"),
    ("file_order", "descending"),
    ("source_line", "descending"),
)


def latest_first() -> list[Column]:
    """:data:`LATEST_FIRST` as Spark sort columns (nulls last)."""
    return [
        F.col(name).desc_nulls_last() if order == "descending" else F.col(name).asc_nulls_last()
        for name, order in LATEST_FIRST
    ]
