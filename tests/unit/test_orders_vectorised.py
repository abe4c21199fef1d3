"""The vectorised orders rules agree with the row-at-a-time oracle, value by value.

The rules read numbers from byte positions once a regex has vouched for a value's shape
(``glue_lib.arrow_values``); hypothesis feeds them near-misses of every accepted form
(impossible days, hour 24, offsets past 18:00, long fractions, stray spaces, line
breaks, non-ASCII digits) and random text, and each column must parse exactly as the
oracle's ``parse_*`` function parses the same text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
from glue_lib import orders
from glue_lib.csv_records import arrow_record_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.oracle import orders_oracle as oracle

EPOCH = date(1970, 1, 1)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

digits = st.integers(min_value=0, max_value=99).map(str)
two = st.integers(min_value=0, max_value=99).map(lambda n: f"{n:02d}")
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
plain_date = st.one_of(
    st.builds(lambda y, mo, d: f"{y}-{mo}-{d}", year, month, day),
    st.builds(lambda y, mo, d: f"{y}/{mo}/{d}", year, month, day),
    st.builds(lambda mo, d, y: f"{mo}/{d}/{y}", digits, digits, year),
)
noise = st.text(alphabet="0123456789-/T:Z+. $,\n\t٣x", max_size=24)


def padded(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Values with the spaces (and the odd tab or line break) a raw export carries."""
    return st.builds(
        lambda before, text, after: before + text + after,
        st.sampled_from(["", " ", "  "]),
        values,
        st.sampled_from(["", " ", "\n", "\t"]),
    )


def column(values: list[str]) -> pa.Array:
    return pa.array(values, pa.string())


def days_to_date(days: int) -> date:
    return EPOCH + timedelta(days=days)


def micros_to_datetime(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


def assert_parsed_as_oracle(texts, parse, oracle_parse, as_value) -> None:
    """Each text's vectorised result (``as_value`` of it, or None) is the oracle's."""
    parsed = parse(column(texts))
    for text, valid, value in zip(texts, parsed.valid, parsed.values, strict=True):
        got = as_value(int(value)) if valid else None
        assert got == oracle_parse(text.strip(" ")), text


@SETTINGS
@given(st.lists(padded(st.one_of(plain_date, timestamp, noise)), min_size=1, max_size=40))
def test_order_dates_parse_as_the_oracle_does(texts):
    assert_parsed_as_oracle(texts, orders.parse_order_date, oracle.parse_order_date, days_to_date)


@SETTINGS
@given(st.lists(padded(st.one_of(plain_date, timestamp, noise)), min_size=1, max_size=40))
def test_updated_at_parses_as_the_oracle_does(texts):
    assert_parsed_as_oracle(
        texts, orders.parse_updated_at, oracle.parse_updated_at, micros_to_datetime
    )


quantity = st.one_of(
    st.integers(min_value=-5, max_value=2**31 + 5).map(str),
    st.builds(lambda zeros, n: "0" * zeros + str(n), st.integers(0, 12), st.integers(0, 2**32)),
    st.builds(lambda n: f"+{n}", st.integers(0, 2**31 + 5)),
    noise,
)


@SETTINGS
@given(st.lists(padded(quantity), min_size=1, max_size=40))
def test_quantities_parse_as_the_oracle_does(texts):
    assert_parsed_as_oracle(texts, orders.parse_quantity, oracle.parse_quantity, int)


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
        lambda zeros, n: "0" * zeros + n, st.integers(0, 14), st.sampled_from(["1.5", "0.005"])
    ),
    noise,
)


@SETTINGS
@given(st.lists(padded(price), min_size=1, max_size=40))
def test_prices_parse_as_the_oracle_does(texts):
    assert_parsed_as_oracle(
        texts, orders.parse_unit_price, oracle.parse_price, lambda cents: Decimal(cents).scaleb(-2)
    )


words = st.sampled_from(
    ["pending", "Shipped", "DELIVERED", "canceled", "Cancelled", "returned", "lost", "PENDİNG", ""]
)
countries = st.sampled_from(
    ["US", "usa", "United States", "gb", "DEU", "India", "Atlantis", "Côte d'Ivoire", "Rußland", ""]
)


@SETTINGS
@given(st.lists(st.tuples(padded(words), padded(countries)), min_size=1, max_size=40))
def test_status_and_country_as_the_oracle_does(pairs):
    statuses = orders.parse_status(column([s for s, _ in pairs])).to_pylist()
    codes = orders.normalise_country(column([c for _, c in pairs])).to_pylist()
    for (status, country), got_status, got_code in zip(pairs, statuses, codes, strict=True):
        assert got_status == oracle.parse_status(status.strip(" ")), status
        assert got_code == oracle.normalise_country(country), country


def test_a_clean_row_through_clean_table_matches_the_oracle_order():
    raw = {
        "order_id": " o1 ",
        "customer_id": " straße ",
        "order_date": "2024-03-01T23:30:00-05:00",
        "status": " CANCELED ",
        "quantity": " +0003 ",
        "unit_price": "$1,299.505",
        "country": "united states",
        "updated_at": "2024-03-02T01:02:03.4567891Z",
    }
    schema = arrow_record_schema(orders.COLUMNS)
    row = {"source_key": "k", "source_line": 2, "parse_error": None, "raw_record": None}
    table = pa.Table.from_pylist([{**row, **{f"raw_{k}": v for k, v in raw.items()}}], schema)
    cleaned = orders.clean_table(table).to_pylist()[0]
    header = list(raw)
    expected = oracle.clean_record(header, [raw[name] for name in header])
    assert cleaned["reason"] is None
    assert {name: cleaned[name] for name in expected.__dataclass_fields__} == {
        name: getattr(expected, name) for name in expected.__dataclass_fields__
    }
