"""The orders contract as pure DataFrame -> DataFrame functions (no I/O, no session).

Input: records from :func:`glue_lib.csv_records.read_csv_records` (``raw_<column>``
strings, ``source_key``, ``source_line``, ``parse_error``). Every rule is a Spark
expression; the first failing rule names the row's one rejection reason.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
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
MAX_INT = 2_147_483_647
MAX_PRICE = "9999999999.99"
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

# \z, not $: Java's $ also matches before a trailing newline (possible in quoted values).
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}\z"
_SLASH_YMD = r"^\d{4}/\d{2}/\d{2}\z"
_US_DATE = r"^\d{1,2}/\d{1,2}/\d{4}\z"
_ISO_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?\z"
_QUANTITY = r"^\+?\d{1,10}\z"
_PRICE = r"^\$?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\z"
MAX_AMOUNT = "999999999999.99"  # decimal(14,2)


def _blank(column: Column) -> Column:
    return column.isNull() | (F.trim(column) == "")


def parse_iso_timestamp(text: Column) -> Column:
    """ISO-8601 timestamp (``Z`` or ``±HH:MM``/``±HHMM``; none means UTC) -> UTC timestamp.

    The zone is applied here, not by Spark's cast: the cast would parse each zone text
    with a freshly compiled regex (``getZoneId``), the costliest step per row. The local
    part (minutes-only allowed) is cast in the session's UTC zone and the offset, valid
    when at most 18:00 with minutes under 60 (``java.time.ZoneOffset``), is subtracted.
    """
    value = F.trim(text)
    zone = F.regexp_extract(value, r"(Z|[+-]\d{2}:?\d{2})\z", 1)
    local = value.substr(F.lit(1), F.length(value) - F.length(zone)).cast("timestamp")
    hours = F.substring(zone, 2, 2).cast("int")
    minutes = F.substring(zone, -2, 2).cast("int")
    offset_minutes = hours * 60 + minutes
    sign = F.when(F.substring(zone, 1, 1) == "-", -1).otherwise(1)
    shifted = F.timestamp_micros(
        F.unix_micros(local) - sign * offset_minutes.cast("long") * 60_000_000
    )
    parsed = F.when(zone.isin("", "Z"), local).when(
        (minutes <= 59) & (offset_minutes <= 18 * 60), shifted
    )
    return F.when(value.rlike(_ISO_TIMESTAMP), parsed)


def _iso_date(value: Column) -> Column:
    """``YYYY-MM-DD`` text (already matched) -> date; Spark's cast, no formatter."""
    return value.cast("date")


def parse_order_date(text: Column) -> Column:
    """Any accepted order_date form -> date (UTC); null when none matches or invalid.

    Each form is matched by its regex, then turned into a date without a datetime
    formatter (casts and ``make_date``): same dates, a fraction of the cost.
    """
    value = F.trim(text)
    month = F.substring_index(value, "/", 1).cast("int")
    day = F.substring_index(F.substring_index(value, "/", 2), "/", -1).cast("int")
    year = F.substring_index(value, "/", -1).cast("int")
    return (
        F.when(value.rlike(_ISO_DATE), _iso_date(value))
        .when(value.rlike(_SLASH_YMD), _iso_date(F.translate(value, "/", "-")))
        .when(value.rlike(_US_DATE), F.make_date(year, month, day))
        .when(value.rlike(_ISO_TIMESTAMP), F.to_date(parse_iso_timestamp(value)))
    )


def parse_updated_at(text: Column) -> Column:
    """Optional ISO timestamp (or plain date = midnight UTC) -> timestamp."""
    value = F.trim(text)
    return F.when(value.rlike(_ISO_DATE), _iso_date(value).cast("timestamp")).otherwise(
        parse_iso_timestamp(value)
    )


def parse_status(text: Column) -> Column:
    value = F.lower(F.trim(text))
    for alias, status in STATUS_ALIASES.items():
        value = F.when(value == alias, F.lit(status)).otherwise(value)
    return F.when(value.isin(*STATUSES), value)


def parse_quantity(text: Column) -> Column:
    """Whole number 1..2^31-1, spaces and a leading ``+`` allowed."""
    return _quantity_in_range(_quantity_number(text))


def _quantity_number(text: Column) -> Column:
    value = F.trim(text)
    return F.when(value.rlike(_QUANTITY), value.cast("long"))


def _quantity_in_range(number: Column) -> Column:
    return F.when((number >= 1) & (number <= MAX_INT), number.cast("int"))


def parse_unit_price(text: Column) -> Column:
    """``$1,299.50`` style decimal text -> decimal(12,2), rounded half-up; >= 0.

    Half-up rounding to cents depends only on the third decimal, so the fraction is cut
    to three digits first: exact for any number of decimals, no double rounding. Cut and
    symbols go by plain string functions (the regex has already vouched for the shape);
    decimal(14,3) holds every value up to MAX_PRICE and overflows (null) beyond it, and
    fits in a long, so the arithmetic avoids BigDecimal.
    """
    return _price_capped(_price_rounded(text))


def _price_rounded(text: Column) -> Column:
    value = F.trim(text)
    digits = F.translate(value, "$,", "")
    dot = F.instr(digits, ".")
    # at most one "." (the regex): keep three decimals; substr past the end is harmless
    exact = F.when(dot > 0, digits.substr(F.lit(1), dot + 3)).otherwise(digits)
    return F.round(F.when(value.rlike(_PRICE), exact.cast("decimal(14,3)")), 2)


def _price_capped(rounded: Column) -> Column:
    return F.when(rounded <= F.lit(MAX_PRICE).cast("decimal(12,2)"), rounded.cast("decimal(12,2)"))


def clean_orders(records: DataFrame, countries: DataFrame) -> DataFrame:
    """Add cleaned columns and ``reason`` (null for a clean row) to parsed records.

    ``countries`` maps upper-cased names/codes (``name``) to alpha-2 (``code``).

    Two projections around the country join: the first does the expensive parsing
    (regexes, casts) once per value; the second only compares and combines the parsed
    values, so the quantity and price the checks use several times are parsed once.
    """
    raw = {name: F.col(f"raw_{name}") for name in COLUMNS}
    lookup = countries.select(
        F.col("name").alias("_country_name"), F.col("code").alias("_country_code")
    )
    parsed = records.select(
        "*",
        F.trim(raw["order_id"]).alias("order_id"),
        F.upper(F.trim(raw["customer_id"])).alias("customer_id"),
        parse_order_date(raw["order_date"]).alias("order_date"),
        parse_status(raw["status"]).alias("status"),
        _quantity_number(raw["quantity"]).alias("_quantity"),
        _price_rounded(raw["unit_price"]).alias("_price"),
        parse_updated_at(raw["updated_at"]).alias("updated_at"),
        F.upper(F.trim(raw["country"])).alias("_country_key"),
    )
    with_country = parsed.join(
        F.broadcast(lookup), parsed["_country_key"] == lookup["_country_name"], "left"
    )
    quantity = _quantity_in_range(F.col("_quantity"))
    unit_price = _price_capped(F.col("_price"))
    exact_amount = quantity.cast("decimal(10,0)") * unit_price  # decimal(23,2): no overflow
    reason = (
        F.when(F.col("parse_error").isNotNull(), F.col("parse_error"))
        .when(F.greatest(*[_blank(raw[c]) for c in REQUIRED]), F.lit("missing_field"))
        .when(
            F.col("order_date").isNull()
            | (~_blank(raw["updated_at"]) & F.col("updated_at").isNull()),
            F.lit("bad_date"),
        )
        .when(F.col("status").isNull(), F.lit("bad_status"))
        .when(quantity.isNull(), F.lit("bad_quantity"))
        .when(unit_price.isNull(), F.lit("bad_price"))
        # an amount too large for the contract's decimal(14,2) is a bad quantity
        .when(exact_amount > F.lit(MAX_AMOUNT).cast("decimal(38,2)"), F.lit("bad_quantity"))
    )
    return with_country.select(
        *records.columns,
        "order_id",
        "customer_id",
        "order_date",
        "status",
        quantity.alias("quantity"),
        unit_price.alias("unit_price"),
        "updated_at",
        F.coalesce(F.col("_country_code"), F.lit("UNKNOWN")).alias("country"),
        exact_amount.cast("decimal(14,2)").alias("amount"),
        F.date_format("order_date", "yyyy-MM").alias("order_month"),
        reason.alias("reason"),
    )


def country_codes(spark: SparkSession) -> DataFrame:
    """The country lookup as a small DataFrame (broadcast in :func:`clean_orders`)."""
    return spark.createDataFrame(sorted(country_lookup().items()), "name string, code string")


def clean(records: DataFrame) -> DataFrame:
    """The rules entry point the generic CSV job calls (see ``glue_lib.csv_job``)."""
    return clean_orders(records, country_codes(records.sparkSession))


def latest_first() -> list[Column]:
    """Among valid rows of one order_id: latest updated_at (null oldest), file, line."""
    return [
        F.col("updated_at").desc_nulls_last(),
        F.col("file_order").desc(),
        F.col("source_line").desc(),
    ]
