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
    """ISO-8601 timestamp (``Z`` or ``±HH:MM``/``±HHMM``; none means UTC) -> UTC timestamp."""
    trimmed = F.trim(text)
    with_colon = F.regexp_replace(trimmed, r"([+-]\d{2})(\d{2})\z", "$1:$2")
    # Spark's cast needs seconds when a zone follows (``T10:00Z`` fails, ``T10:00:00Z`` works)
    with_seconds = F.regexp_replace(with_colon, r"(T\d{2}:\d{2})(Z|[+-]\d{2}:\d{2})?\z", "$1:00$2")
    return F.when(trimmed.rlike(_ISO_TIMESTAMP), F.to_timestamp(with_seconds))


def parse_order_date(text: Column) -> Column:
    """Any accepted order_date form -> date (UTC); null when none matches or invalid."""
    value = F.trim(text)
    return (
        F.when(value.rlike(_ISO_DATE), F.to_date(value, "yyyy-MM-dd"))
        .when(value.rlike(_SLASH_YMD), F.to_date(value, "yyyy/MM/dd"))
        .when(value.rlike(_US_DATE), F.to_date(value, "M/d/yyyy"))
        .when(value.rlike(_ISO_TIMESTAMP), F.to_date(parse_iso_timestamp(value)))
    )


def parse_updated_at(text: Column) -> Column:
    """Optional ISO timestamp (or plain date = midnight UTC) -> timestamp."""
    value = F.trim(text)
    return F.when(value.rlike(_ISO_DATE), F.to_timestamp(F.to_date(value, "yyyy-MM-dd"))).otherwise(
        parse_iso_timestamp(value)
    )


def parse_status(text: Column) -> Column:
    value = F.lower(F.trim(text))
    for alias, status in STATUS_ALIASES.items():
        value = F.when(value == alias, F.lit(status)).otherwise(value)
    return F.when(value.isin(*STATUSES), value)


def parse_quantity(text: Column) -> Column:
    """Whole number 1..2^31-1, spaces and a leading ``+`` allowed."""
    value = F.trim(text)
    number = F.when(value.rlike(_QUANTITY), value.cast("long"))
    return F.when((number >= 1) & (number <= MAX_INT), number.cast("int"))


def parse_unit_price(text: Column) -> Column:
    """``$1,299.50`` style decimal text -> decimal(12,2), rounded half-up; >= 0.

    Half-up rounding to cents depends only on the third decimal, so the fraction is cut
    to three digits first: exact for any number of decimals, no double rounding.
    """
    value = F.trim(text)
    digits = F.regexp_replace(F.regexp_replace(value, r"[$,]", ""), r"(\.\d{3})\d+\z", "$1")
    rounded = F.round(F.when(value.rlike(_PRICE), digits.cast("decimal(38,3)")), 2)
    return F.when(rounded <= F.lit(MAX_PRICE).cast("decimal(38,2)"), rounded.cast("decimal(12,2)"))


def _exact_amount() -> Column:
    """quantity x unit_price without overflow (decimal(23,2)); an amount too large for the
    contract's decimal(14,2) rejects the row as ``bad_quantity``."""
    return F.col("quantity").cast("decimal(10,0)") * F.col("unit_price")


def clean_orders(records: DataFrame, countries: DataFrame) -> DataFrame:
    """Add cleaned columns and ``reason`` (null for a clean row) to parsed records.

    ``countries`` maps upper-cased names/codes (``name``) to alpha-2 (``code``).
    """
    raw = {name: F.col(f"raw_{name}") for name in COLUMNS}
    lookup = countries.select(
        F.col("name").alias("_country_name"), F.col("code").alias("_country_code")
    )
    cleaned = records.select(
        "*",
        F.trim(raw["order_id"]).alias("order_id"),
        F.upper(F.trim(raw["customer_id"])).alias("customer_id"),
        parse_order_date(raw["order_date"]).alias("order_date"),
        parse_status(raw["status"]).alias("status"),
        parse_quantity(raw["quantity"]).alias("quantity"),
        parse_unit_price(raw["unit_price"]).alias("unit_price"),
        parse_updated_at(raw["updated_at"]).alias("updated_at"),
        F.upper(F.trim(raw["country"])).alias("_country_key"),
    )
    with_country = cleaned.join(
        F.broadcast(lookup), cleaned["_country_key"] == lookup["_country_name"], "left"
    )
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
        .when(_exact_amount() > F.lit(MAX_AMOUNT).cast("decimal(38,2)"), F.lit("bad_quantity"))
    )
    return with_country.select(
        *[c for c in cleaned.columns if c != "_country_key"],
        F.coalesce(F.col("_country_code"), F.lit("UNKNOWN")).alias("country"),
        _exact_amount().cast("decimal(14,2)").alias("amount"),
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
