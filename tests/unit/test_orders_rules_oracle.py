"""The orders rules agree with the row-at-a-time oracle, value by value, through Spark.

Hypothesis feeds each Spark expression of ``glue_lib.orders`` near-misses of every
accepted form (impossible days, year 0000, hour 24, offsets past 18:00, long fractions,
stray spaces, tabs and line breaks, non-ASCII digits) and random text, and every value
must parse exactly as the oracle's ``parse_*`` function parses the same text. A Spark job
costs a fraction of a second, so each example is a batch of 100-300 values in one
DataFrame, and there are few examples.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from glue_lib import orders
from glue_lib.csv_records import record_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from tests.oracle import orders_oracle as oracle

EPOCH = date(1970, 1, 1)
UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def batch(values: st.SearchStrategy) -> st.SearchStrategy[list]:
    """One DataFrame's worth of values."""
    return st.lists(values, min_size=100, max_size=300)


digits = st.integers(min_value=0, max_value=99).map(str)
year = st.sampled_from(["0000", "0001", "1970", "2024", "2023", "9999", "1900", "2000"])
day = st.integers(min_value=0, max_value=32).map(lambda n: f"{n:02d}")
month = st.integers(min_value=0, max_value=13).map(lambda n: f"{n:02d}")
zone = st.one_of(
    st.just(""),
    st.just("Z"),
    st.builds(
        lambda sign, h, m, colon: f"{sign}{h:02d}{colon}{m:02d}",
        st.sampled_from("+-"),
        st.integers(0, 24),
        st.integers(0, 61),
        st.sampled_from(["", ":"]),
    ),
)
clock = st.builds(
    lambda h, m, s, fraction: f"{h:02d}:{m:02d}{s}{fraction}",
    st.integers(0, 25),
    st.integers(0, 61),
    st.one_of(st.just(""), st.integers(0, 61).map(lambda s: f":{s:02d}")),
    st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=12).map(lambda f: "." + f)),
)
fraction = st.text("0123456789", min_size=1, max_size=8).map(lambda f: "." + f)
timestamp = st.builds(
    lambda y, mo, d, c, z: f"{y}-{mo}-{d}T{c}{z}", year, month, day, clock, zone
).map(lambda t: t.replace(":", "", 1) if t.endswith("::") else t)
# whose UTC date leaves years 1-9999, or whose local year is 0000
range_edges = st.sampled_from(
    [
        "0001-01-01T00:30+01:00",
        "0001-01-01T00:30-01:00",
        "0001-01-01T00:00Z",
        "0000-12-31T23:30-01:00",
        "9999-12-31T23:30-01:00",
        "9999-12-31T23:30+01:00",
        "9999-12-31T23:59:59.9999999Z",
        "0000-01-01",
        "0000/01/01",
        "1/1/0000",
    ]
)
plain_date = st.one_of(
    st.builds(lambda y, mo, d: f"{y}-{mo}-{d}", year, month, day),
    st.builds(lambda y, mo, d: f"{y}/{mo}/{d}", year, month, day),
    st.builds(lambda mo, d, y: f"{mo}/{d}/{y}", digits, digits, year),
)
noise = st.text(alphabet="0123456789-/T:Z+. $,\n\t٣x", max_size=24)
# characters a near-miss may carry instead of one of its own
strays = st.sampled_from(["٣", "０", "\n", "\t", " ", "x", "", "00", "+", "-", ":", "."])


def mutated(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A value with one character replaced by a stray (a non-ASCII digit, a line break...)."""
    return st.builds(
        lambda text, where, stray: text[: where % (len(text) + 1)]
        + stray
        + text[where % (len(text) + 1) + 1 :],
        values,
        st.integers(min_value=0, max_value=40),
        strays,
    )


def padded(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Values with the spaces (and the odd tab or line break) a raw export carries."""
    return st.builds(
        lambda before, text, after: before + text + after,
        st.sampled_from(["", " ", "  ", "\t"]),
        values,
        st.sampled_from(["", " ", "\n", "\t"]),
    )


def near_misses(*forms: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return padded(st.one_of(*forms, mutated(st.one_of(*forms)), noise))


dates = near_misses(plain_date, timestamp, range_edges)


def parsed(spark, texts: list[str | None], expression) -> list:
    """``expression`` of each text, in order (no shuffle), from one DataFrame."""
    frame = spark.createDataFrame([(text,) for text in texts], "text string")
    return [row.value for row in frame.select(expression(F.col("text")).alias("value")).collect()]


def days(value: date | None) -> int | None:
    return None if value is None else (value - EPOCH).days


def micros(value: datetime | None) -> int | None:
    return None if value is None else (value - UTC_EPOCH) // timedelta(microseconds=1)


def assert_as_oracle(texts, got, oracle_parse, as_value=lambda value: value) -> None:
    for text, value in zip(texts, got, strict=True):
        assert value == as_value(oracle_parse(text.strip(" "))), repr(text)


@SETTINGS
@given(batch(dates))
def test_order_dates_parse_as_the_oracle_does(spark, texts):
    got = parsed(spark, texts, lambda c: F.unix_date(orders.parse_order_date(c)))
    assert_as_oracle(texts, got, oracle.parse_order_date, days)


@SETTINGS
@given(batch(dates))
def test_updated_at_parses_as_the_oracle_does(spark, texts):
    got = parsed(spark, texts, lambda c: F.unix_micros(orders.parse_updated_at(c)))
    assert_as_oracle(texts, got, oracle.parse_updated_at, micros)


quantity = st.one_of(
    st.integers(min_value=-5, max_value=2**31 + 5).map(str),
    st.builds(lambda zeros, n: "0" * zeros + str(n), st.integers(0, 40), st.integers(0, 2**32)),
    st.builds(lambda n: f"+{n}", st.integers(0, 2**31 + 5)),
    st.sampled_from(["2147483647", "2147483648", "+0", "0", "++1", "1e3", "1.0", "٣"]),
)


@SETTINGS
@given(batch(near_misses(quantity)))
def test_quantities_parse_as_the_oracle_does(spark, texts):
    got = parsed(spark, texts, orders.parse_quantity)
    assert_as_oracle(texts, got, oracle.parse_quantity)


price = st.one_of(
    st.decimals(min_value=0, max_value=Decimal("1e12"), places=None, allow_nan=False).map(
        lambda d: format(d, "f")
    ),
    st.builds(
        lambda dollar, whole, fraction: f"{dollar}{whole:,}{fraction}",
        st.sampled_from(["", "$"]),
        st.integers(0, 10**13),
        st.one_of(st.just(""), fraction),
    ),
    st.builds(
        lambda zeros, n: "0" * zeros + n, st.integers(0, 40), st.sampled_from(["1.5", "0.005"])
    ),
    st.sampled_from(
        ["9999999999.99", "9999999999.994", "9999999999.995", "0.004999", "1,2,3", "$$1", ".5"]
    ),
)


@SETTINGS
@given(batch(near_misses(price)))
def test_prices_parse_as_the_oracle_does(spark, texts):
    got = parsed(spark, texts, orders.parse_unit_price)
    assert_as_oracle(texts, got, oracle.parse_price)


words = st.sampled_from(
    ["pending", "Shipped", "DELIVERED", "canceled", "Cancelled", "returned", "lost", "PENDİNG", ""]
)
countries = st.sampled_from(
    ["US", "usa", "United States", "gb", "DEU", "India", "Atlantis", "Côte d'Ivoire", "Rußland", ""]
)


@SETTINGS
@given(batch(st.one_of(padded(words), mutated(words))), batch(padded(countries)))
def test_status_and_country_as_the_oracle_does(spark, statuses, codes):
    got = parsed(spark, statuses, orders.parse_status)
    assert_as_oracle(statuses, got, oracle.parse_status)
    got = parsed(spark, codes, orders.normalise_country)
    for text, code in zip(codes, got, strict=True):
        assert code == oracle.normalise_country(text), repr(text)


def test_every_country_spelling_in_any_case_as_the_oracle_does(spark):
    spellings = list(oracle._country_lookup()) + list(orders.country_lookup())
    texts = [f(s) for s in spellings for f in (str.lower, str.upper, str.title)]
    texts += [None, "", "  ", " us ", "\tus", "u.s.a", "Czech  Republic"]
    got = parsed(spark, texts, orders.normalise_country)
    for text, code in zip(texts, got, strict=True):
        assert code == oracle.normalise_country(text or ""), repr(text)


identifiers = st.one_of(
    st.text(alphabet="abcXYZ019-_ ßǆﬁŉi̇ı\t", max_size=10),
    st.sampled_from(["straße", "ǆemal", "ﬁrst", "ᾳ", "İstanbul", "ıi"]),
)
# Each column's values for the whole-row test: a pool is drawn, then rows are a clean
# order with some of its values swapped for pool values (drawing 300 whole rows would
# overrun hypothesis' buffer and make it retry for half a minute).
ROW_VALUES = {
    "order_id": padded(identifiers),
    "customer_id": padded(identifiers),
    "order_date": dates,
    "status": padded(words),
    "quantity": st.one_of(padded(quantity), st.sampled_from(["2000000000", " 3 "])),
    "unit_price": st.one_of(padded(price), st.sampled_from(["9999.99", "$1,299.505"])),
    "country": st.one_of(st.none(), padded(countries)),
    "updated_at": st.one_of(st.none(), dates, st.sampled_from(["", "2024-03-01"])),
}
CLEAN_ORDER = {
    "order_id": " o1 ",
    "customer_id": " straße ",
    "order_date": "2024-03-01T23:30:00-05:00",
    "status": " CANCELED ",
    "quantity": " +0003 ",
    "unit_price": "$1,299.505",
    "country": "united states",
    "updated_at": "2024-03-02T01:02:03.4567891Z",
}


@SETTINGS
@given(
    st.fixed_dictionaries(
        {name: st.lists(values, min_size=5, max_size=25) for name, values in ROW_VALUES.items()}
    ),
    st.integers(min_value=0, max_value=2**32),
)
def test_whole_rows_clean_as_the_oracle_cleans_them(spark, pools, seed):
    # a plain Random: each call of hypothesis' own randoms() is a draw, and 300 rows'
    # worth of them overrun its buffer
    rng = random.Random(seed)
    drawn = [
        {
            name: rng.choice(pools[name]) if rng.random() < 0.3 else value
            for name, value in CLEAN_ORDER.items()
        }
        for _ in range(rng.randint(100, 300))
    ]
    malformed = [rng.random() < 0.05 for _ in drawn]  # the CSV parser's parse_error
    records = [
        ("k", line, "malformed_row" if bad else None, None, *[row[c] for c in orders.COLUMNS])
        for line, (row, bad) in enumerate(zip(drawn, malformed, strict=True), start=2)
    ]
    frame = spark.createDataFrame(records, record_schema(orders.COLUMNS))
    cleaned = orders.clean(frame).withColumn("updated_at", F.unix_micros("updated_at"))
    assert tuple(cleaned.columns[-len(orders.CLEANED_COLUMNS) :]) == orders.CLEANED_COLUMNS
    got = {row.source_line: row for row in cleaned.collect()}
    for line, (row, bad) in enumerate(zip(drawn, malformed, strict=True), start=2):
        header = [name for name in orders.COLUMNS if row[name] is not None]  # absent column
        expected = oracle.clean_record(header, None if bad else [row[c] for c in header])
        actual = got[line]
        if isinstance(expected, str):
            assert actual.reason == expected, row
            continue
        assert actual.reason is None, row
        fields = expected.__dataclass_fields__
        assert {name: actual[name] for name in fields} == {
            **{name: getattr(expected, name) for name in fields},
            "updated_at": micros(expected.updated_at),
        }, row
