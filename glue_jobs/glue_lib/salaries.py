"""The salaries contract as pure DataFrame -> DataFrame functions (no I/O, no session).

Input: records from :func:`glue_lib.csv_records.read_csv_records` (``raw_<column>``
strings, ``source_key``, ``source_line``, ``parse_error``). Every rule is a Spark
expression; the first failing rule, in this order, names the row's one reason:

1. ``malformed_row``: wrong field count or broken quoting (set by the CSV parser).
2. ``missing_field``: ``employee_id``, ``country`` or ``salary`` blank.
3. ``bad_country``: not ``India``/``IN``/``IND``, ``US``/``USA``/``United States`` (any
   case) or another ISO 3166 alpha-2 code. Other names and alpha-3 codes (``Germany``,
   ``DEU``, ``UK``, ``U.S.``) are rejected: the contract lists the accepted forms.
4. ``bad_salary``: not ``[symbol][ ]digits[.fraction]`` with a value > 0 that fits
   decimal(14,2). Symbols: ``$ € £ ¥ ₹`` and ``Rs``/``Rs.`` (any case), one optional
   space after them. Digits are plain or grouped by ``,`` either in thousands
   (``1,250,000``) or the Indian lakh/crore way (``12,50,000``); any other comma
   (``12,50``, European decimal commas) is rejected rather than guessed. More than two
   decimals round half up to cents (as orders' prices); ``0.004`` rounds to 0 -> rejected.
5. currency: trimmed and upper-cased, it must be an ISO 4217 code (pycountry) else
   ``bad_currency``. Blank or absent means ``USD`` for ``US`` and ``INR`` for ``IN``;
   blank elsewhere -> ``missing_field``. A salary symbol that contradicts the (given or
   defaulted) currency (``₹90,000`` with ``USD``, ``$85,000`` for an Indian row without a
   currency) -> ``bad_currency``: the row is ambiguous, so it is quarantined, never
   guessed. The symbol never *sets* the currency; ``$`` fits any dollar or peso.
6. ``as_of_date``: optional; ``YYYY-MM-DD`` and a real calendar date when present. An
   unparseable date -> ``malformed_row`` (the contract has no date reason; like Spark's
   own notion of a malformed record, a value that does not fit its column's type).

Cleaned values: ``employee_id`` trimmed (case kept), ``name``/``department`` trimmed
(blank -> null). Duplicates of one ``employee_id`` in a run: the latest ``as_of_date``
wins (null oldest), then the latest file, then the last line (:func:`latest_first`).
"""

from __future__ import annotations

import pycountry
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from .countries import country_lookup

COLUMNS = ("employee_id", "country", "salary", "name", "department", "currency", "as_of_date")
REQUIRED = COLUMNS[:3]
REASONS = ("malformed_row", "missing_field", "bad_country", "bad_salary", "bad_currency")
KEY = "employee_id"
TABLE = "salaries"

PROCESSED_COLUMNS = (
    "employee_id",
    "name",
    "department",
    "country",
    "salary",
    "currency",
    "as_of_date",
    "source_key",
    "source_line",
)

# The contract's named forms besides alpha-2 codes (upper-cased keys of country_lookup).
NAMED_COUNTRIES = ("INDIA", "IND", "USA", "UNITED STATES")
DEFAULT_CURRENCY = {"US": "USD", "IN": "INR"}
MAX_SALARY = "999999999999.99"  # decimal(14,2)

_DOLLARS_AND_PESOS = (
    *("USD", "AUD", "BBD", "BMD", "BND", "BSD", "BZD", "CAD", "FJD", "GYD", "HKD", "JMD"),
    *("KYD", "LRD", "NAD", "NZD", "SBD", "SGD", "SRD", "TTD", "TWD", "XCD", "ZWL"),
    *("ARS", "CLP", "COP", "CUP", "DOP", "MXN", "PHP", "UYU"),
)
# Salary symbol (upper-cased, without a trailing '.') -> the currencies it can stand for.
SYMBOL_CURRENCIES = {
    "$": _DOLLARS_AND_PESOS,
    "€": ("EUR",),
    "£": ("GBP", "EGP", "FKP", "GIP", "LBP", "SDG", "SHP", "SSP", "SYP"),
    "¥": ("JPY", "CNY"),
    "₹": ("INR",),
    "RS": ("INR", "LKR", "MUR", "NPR", "PKR", "SCR"),
}

# \z, not $: Java's $ also matches before a trailing newline (possible in quoted values).
_SYMBOL = r"(\$|€|£|¥|₹|[Rr][Ss]\.?)"
_AMOUNT = r"(\d{1,3}(,\d{3})+|\d{1,2}(,\d{2})+,\d{3}|\d+)(\.\d+)?"
_SALARY = rf"^{_SYMBOL}? ?{_AMOUNT}\z"
_LEADING_SYMBOL = rf"^{_SYMBOL} ?"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}\z"


def _blank(column: Column) -> Column:
    return column.isNull() | (F.trim(column) == "")


def _literal_map(mapping: dict[str, str]) -> Column:
    return F.create_map(*[F.lit(part) for item in sorted(mapping.items()) for part in item])


def accepted_countries() -> dict[str, str]:
    """Upper-cased accepted spelling -> alpha-2: every alpha-2 code plus the named forms."""
    lookup = country_lookup()
    return {
        spelling: code
        for spelling, code in lookup.items()
        if spelling == code or spelling in NAMED_COUNTRIES
    }


def currency_codes() -> tuple[str, ...]:
    """ISO 4217 codes (pycountry), sorted."""
    return tuple(sorted(currency.alpha_3 for currency in pycountry.currencies))


def parse_country(text: Column) -> Column:
    """An accepted country spelling (any case, spaces trimmed) -> alpha-2; else null."""
    return _literal_map(accepted_countries())[F.upper(F.trim(text))]


def parse_salary(text: Column) -> Column:
    """``₹12,50,000.50`` style text -> decimal(14,2) > 0, half up to cents; else null.

    Half-up rounding to cents depends only on the third decimal, so the fraction is cut
    to three digits first: exact for any number of decimals, no double rounding.
    """
    value = F.trim(text)
    digits = F.regexp_replace(F.regexp_replace(value, _LEADING_SYMBOL, ""), ",", "")
    cut = F.regexp_replace(digits, r"(\.\d{3})\d+\z", "$1")
    # Over 38 digits the cast gives null, which is rejected like any value out of range.
    rounded = F.round(F.when(value.rlike(_SALARY), cut.cast("decimal(38,3)")), 2)
    in_range = (rounded > 0) & (rounded <= F.lit(MAX_SALARY).cast("decimal(38,2)"))
    return F.when(in_range, rounded.cast("decimal(14,2)"))


def salary_symbol(text: Column) -> Column:
    """The salary's currency symbol, upper-cased without a trailing dot (``RS``); or ''."""
    symbol = F.regexp_extract(F.trim(text), rf"^{_SYMBOL}", 1)
    return F.upper(F.regexp_replace(symbol, r"\.\z", ""))


def symbol_fits(symbol: Column, currency: Column) -> Column:
    """False when the salary's symbol cannot stand for ``currency``."""
    fits = F.when(symbol == "", F.lit(True))
    for sign, currencies in SYMBOL_CURRENCIES.items():
        fits = fits.when(symbol == sign, currency.isin(*currencies))
    return fits.otherwise(F.lit(False))


def parse_as_of_date(text: Column) -> Column:
    """``YYYY-MM-DD`` (a real calendar date) -> date; else null."""
    value = F.trim(text)
    return F.when(value.rlike(_ISO_DATE), F.to_date(value, "yyyy-MM-dd"))


def _trimmed_or_null(text: Column) -> Column:
    value = F.trim(text)
    return F.when(value != "", value)


def clean_salaries(records: DataFrame) -> DataFrame:
    """Add cleaned columns and ``reason`` (null for a clean row) to parsed records."""
    raw = {name: F.col(f"raw_{name}") for name in COLUMNS}
    given_currency = F.upper(F.trim(raw["currency"]))
    country = parse_country(raw["country"])
    default_currency = _literal_map(DEFAULT_CURRENCY)[country]
    currency = F.when(_blank(raw["currency"]), default_currency).when(
        given_currency.isin(*currency_codes()), given_currency
    )
    cleaned = records.select(
        "*",
        F.trim(raw["employee_id"]).alias("employee_id"),
        _trimmed_or_null(raw["name"]).alias("name"),
        _trimmed_or_null(raw["department"]).alias("department"),
        country.alias("country"),
        parse_salary(raw["salary"]).alias("salary"),
        currency.alias("currency"),
        parse_as_of_date(raw["as_of_date"]).alias("as_of_date"),
        salary_symbol(raw["salary"]).alias("_symbol"),
    )
    reason = (
        F.when(F.col("parse_error").isNotNull(), F.col("parse_error"))
        .when(F.greatest(*[_blank(raw[c]) for c in REQUIRED]), F.lit("missing_field"))
        .when(F.col("country").isNull(), F.lit("bad_country"))
        .when(F.col("salary").isNull(), F.lit("bad_salary"))
        .when(F.col("currency").isNull() & _blank(raw["currency"]), F.lit("missing_field"))
        .when(F.col("currency").isNull(), F.lit("bad_currency"))
        .when(~symbol_fits(F.col("_symbol"), F.col("currency")), F.lit("bad_currency"))
        .when(~_blank(raw["as_of_date"]) & F.col("as_of_date").isNull(), F.lit("malformed_row"))
    )
    return cleaned.select(*[c for c in cleaned.columns if c != "_symbol"], reason.alias("reason"))


def clean(records: DataFrame) -> DataFrame:
    """The rules entry point the generic CSV job calls (see ``glue_lib.csv_job``)."""
    return clean_salaries(records)


def latest_first() -> list[Column]:
    """Among valid rows of one employee_id: latest as_of_date (null oldest), file, line."""
    return [
        F.col("as_of_date").desc_nulls_last(),
        F.col("file_order").desc(),
        F.col("source_line").desc(),
    ]
