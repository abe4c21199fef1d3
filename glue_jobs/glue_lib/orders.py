"""The orders contract as pure DataFrame -> DataFrame functions (no I/O, no session).

Input: records from :func:`glue_lib.csv_records.read_csv_records` (``raw_<column>``
strings, ``source_key``, ``source_line``, ``parse_error``). Every rule is a Spark
expression. Values are trimmed of spaces (U+0020 only, as Spark's ``trim``: a tab or a
line break is part of the value and fails its rule). The first failing rule, in this
order, names the row's one reason:

1. ``malformed_row``: wrong field count or broken quoting (set by the CSV parser).
2. ``missing_field``: one of ``order_id, customer_id, order_date, status, quantity,
   unit_price`` blank.
3. ``bad_date``: ``order_date`` is none of ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``M/D/YYYY``
   (month and day of 1 or 2 digits) or an ISO timestamp (its UTC date); or
   ``updated_at``, when given, is neither an ISO timestamp nor ``YYYY-MM-DD`` (midnight
   UTC). ISO timestamps: ``YYYY-MM-DDTHH:MM[:SS[.fraction]]`` then ``Z``, ``±HH:MM``,
   ``±HHMM`` or nothing (UTC); the fraction, of any length, is truncated (not rounded)
   to microseconds; the offset is at most 18:00 with minutes under 60 (``java.time``'s
   ``ZoneOffset``). Dates must be real calendar days of years 0001-9999, as local values
   and as UTC dates; hour 24, minute or second 60 are rejected.
4. ``bad_status``: not ``pending, shipped, delivered, cancelled, returned`` in any case
   (``canceled`` means ``cancelled``).
5. ``bad_quantity``: not ``[+]digits`` (leading zeros allowed) with a value 1..2^31-1.
6. ``bad_price``: not ``[$]digits[.fraction]``, digits plain or grouped in thousands
   (``1,299``), at most 9,999,999,999.99 once rounded half up to cents.
7. ``bad_quantity`` again when ``quantity * unit_price`` does not fit ``amount``'s
   decimal(14,2).

Digits are ASCII only: Java's ``\\d`` does not match other scripts' digits (``٣``).

Cleaned values: ``order_id`` trimmed, ``customer_id`` trimmed and upper-cased,
``country`` an ISO alpha-2/alpha-3 code or English name (any case) as alpha-2, else
``UNKNOWN``; ``amount = quantity * unit_price`` and ``order_month`` (``YYYY-MM``).
Duplicates of one ``order_id`` in a run: the latest ``updated_at`` wins (null oldest),
then the latest file, then the last line (:func:`latest_first`).
"""

from __future__ import annotations

import json

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

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
MAX_PRICE = "9999999999.99"  # decimal(12,2)
MAX_AMOUNT = "999999999999.99"  # decimal(14,2)
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

# What clean adds to the records, in this order.
CLEANED_COLUMNS = (
    "order_id",
    "customer_id",
    "order_date",
    "status",
    "quantity",
    "unit_price",
    "updated_at",
    "country",
    "amount",
    "order_month",
    "reason",
)

# Java regexes; each vouches for a value's shape before a formatter or cast reads it
# (Spark's formatters alone would take "003/1/2024" or a 5-digit year). \z, not $: Java's
# $ also matches before a trailing line break (possible in quoted values). Year 0000 is
# no calendar year (java.time would take it as 1 BC).
_YEAR = r"(?!0000)\d{4}"
_ISO_DATE = rf"^{_YEAR}-\d{{2}}-\d{{2}}\z"
_SLASH_YMD = rf"^{_YEAR}/\d{{2}}/\d{{2}}\z"
_US_DATE = rf"^\d{{1,2}}/\d{{1,2}}/{_YEAR}\z"
_ISO_TIMESTAMP = (
    rf"^{_YEAR}-\d{{2}}-\d{{2}}T\d{{2}}:\d{{2}}(:\d{{2}}(\.\d+)?)?(Z|[+-]\d{{2}}:?\d{{2}})?\z"
)
_QUANTITY = r"^\+?\d+\z"
_PRICE = r"^\$?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\z"


def _blank(column: Column) -> Column:
    return column.isNull() | (F.trim(column) == "")


def _literal_map(mapping: dict[str, str]) -> Column:
    """``mapping`` as a constant ``map<string,string>`` (Spark folds it into a literal).

    Read from one JSON literal: ``create_map`` of ~2,000 ``lit`` columns costs a py4j
    call each, about a second every time :func:`clean` builds its expressions.
    """
    return F.from_json(F.lit(json.dumps(mapping, sort_keys=True)), "map<string,string>")


def parse_timestamp(text: Column) -> Column:
    """An ISO timestamp (see the module docstring) -> UTC timestamp; else null.

    Once the regex has vouched for the shape, Spark's own string-to-timestamp cast reads
    it and checks the calendar, the clock and the offset's range (faster than a
    ``to_timestamp`` pattern with optional sections); it keeps microseconds and truncates
    longer fractions. It needs the seconds before an offset, so ``…T10:30Z`` is read as
    ``…T10:30:00Z``. The UTC result must still fall in years 1-9999
    (``0001-01-01T00:30+01:00`` does not); the check names ``utc`` once, so Spark
    evaluates the cast once.
    """
    value = F.trim(text)
    offset_after_minutes = F.substring(value, 17, 1).isin("Z", "+", "-")
    with_seconds = F.when(
        offset_after_minutes,
        F.concat(F.substring(value, 1, 16), F.lit(":00"), F.substring(value, 17, 6)),
    ).otherwise(value)
    utc = F.when(value.rlike(_ISO_TIMESTAMP), with_seconds).cast("timestamp")
    return F.when(F.abs(F.year(utc) - 5000) <= 4999, utc)


def parse_order_date(text: Column) -> Column:
    """Any accepted order_date form -> date; a timestamp gives its UTC date; else null.

    Each form's regex picks what reads it (Spark's date cast for the ISO forms, a strict
    formatter for ``M/D/YYYY``); an impossible day (``2024-02-30``) parses to null.
    """
    value = F.trim(text)
    return (
        F.when(value.rlike(_ISO_DATE), value.cast("date"))
        .when(value.rlike(_SLASH_YMD), F.translate(value, "/", "-").cast("date"))
        .when(value.rlike(_US_DATE), F.to_date(value, "M/d/yyyy"))
        .otherwise(F.to_date(parse_timestamp(value)))
    )


def parse_updated_at(text: Column) -> Column:
    """Optional ISO timestamp -> UTC timestamp; a plain ``YYYY-MM-DD`` is midnight UTC.

    Null when blank or not one of those forms: :func:`clean` tells the two apart.
    """
    value = F.trim(text)
    return F.when(value.rlike(_ISO_DATE), value.cast("timestamp")).otherwise(parse_timestamp(value))


def parse_status(text: Column) -> Column:
    """A contract status word in any case -> lower case, ``canceled`` -> ``cancelled``.

    Lower-casing is Java's (``İ`` -> ``i̇``, two characters), so no other character
    becomes a letter of a status word: only the words themselves are found in the map.
    """
    words = {**{status: status for status in STATUSES}, **STATUS_ALIASES}
    return _literal_map(words)[F.lower(F.trim(text))]


def parse_quantity(text: Column) -> Column:
    """``[+]digits`` -> int 1..2^31-1; else null.

    The regex vouches for the shape; the cast reads it, leading zeros and all, and gives
    null past the int range (``spark.sql.ansi.enabled=false``).
    """
    value = F.trim(text)
    number = F.when(value.rlike(_QUANTITY), value.cast("int"))
    return F.when(number >= 1, number)


def parse_unit_price(text: Column) -> Column:
    """``$1,299.50`` style decimal text -> decimal(12,2), rounded half up; else null.

    Half-up rounding to cents depends only on the third decimal, so the fraction is cut
    to three digits first: exact for any number of decimals, no double rounding. Leading
    zeros do not count against decimal(38,3); a longer number casts to null, rejected
    like any value over the maximum.
    """
    value = F.trim(text)
    digits = F.regexp_replace(value, r"[$,]", "")
    cut = F.regexp_replace(digits, r"(\.\d{3})\d+\z", "$1")
    rounded = F.round(F.when(value.rlike(_PRICE), cut.cast("decimal(38,3)")), 2)
    return F.when(rounded <= F.lit(MAX_PRICE).cast("decimal(12,2)"), rounded.cast("decimal(12,2)"))


def normalise_country(text: Column) -> Column:
    """ISO alpha-2/alpha-3 code or English name (any case) -> alpha-2; else ``UNKNOWN``.

    Upper-cased to look up :func:`glue_lib.countries.country_lookup`'s upper-cased keys;
    blank or absent is ``UNKNOWN`` too (the column is optional).
    """
    code = _literal_map(country_lookup())[F.upper(F.trim(text))]
    return F.coalesce(code, F.lit(UNKNOWN_COUNTRY))


def clean(records: DataFrame) -> DataFrame:
    """Add :data:`CLEANED_COLUMNS` (``reason`` null for a clean row) to parsed records.

    Two projections: the first parses each raw value once; the second combines the
    parsed values (used by several checks) into ``amount`` and ``reason``.
    """
    raw = {name: F.col(f"raw_{name}") for name in COLUMNS}
    parsed = records.select(
        "*",
        F.trim(raw["order_id"]).alias("order_id"),
        F.upper(F.trim(raw["customer_id"])).alias("customer_id"),
        parse_order_date(raw["order_date"]).alias("order_date"),
        parse_status(raw["status"]).alias("status"),
        parse_quantity(raw["quantity"]).alias("quantity"),
        parse_unit_price(raw["unit_price"]).alias("unit_price"),
        parse_updated_at(raw["updated_at"]).alias("updated_at"),
        normalise_country(raw["country"]).alias("country"),
    )
    # int (10 digits) times decimal(12,2): decimal(23,2) holds every product exactly
    exact_amount = F.col("quantity").cast("decimal(10,0)") * F.col("unit_price")
    fits = exact_amount <= F.lit(MAX_AMOUNT).cast("decimal(14,2)")
    reason = (
        F.when(F.col("parse_error").isNotNull(), F.col("parse_error"))
        .when(F.greatest(*[_blank(raw[c]) for c in REQUIRED]), F.lit("missing_field"))
        .when(
            F.col("order_date").isNull()
            | (~_blank(raw["updated_at"]) & F.col("updated_at").isNull()),
            F.lit("bad_date"),
        )
        .when(F.col("status").isNull(), F.lit("bad_status"))
        .when(F.col("quantity").isNull(), F.lit("bad_quantity"))
        .when(F.col("unit_price").isNull(), F.lit("bad_price"))
        # an amount too large for the contract's decimal(14,2) is a bad quantity
        .when(~fits, F.lit("bad_quantity"))
    )
    return parsed.select(
        "*",
        F.when(fits, exact_amount.cast("decimal(14,2)")).alias("amount"),
        F.date_format("order_date", "yyyy-MM").alias("order_month"),
        reason.alias("reason"),
    )


def latest_first() -> list[Column]:
    """Among valid rows of one order_id: latest updated_at (null oldest), file, line."""
    return [
        F.col("updated_at").desc_nulls_last(),
        F.col("file_order").desc(),
        F.col("source_line").desc(),
    ]
