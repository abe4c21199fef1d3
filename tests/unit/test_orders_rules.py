"""Each orders cleaning rule and rejection reason, through Spark on the shared SparkSession."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from glue_lib.csv_records import record_schema
from glue_lib.orders import COLUMNS, KEY, PROCESSED_COLUMNS, clean, latest_first
from glue_lib.outcomes import classify_rows as classify
from glue_lib.outcomes import file_counts, quarantined_rows
from glue_lib.outcomes import processed_rows as processed

GOOD = {
    "order_id": " o1 ",
    "customer_id": " c1 ",
    "order_date": "2024-03-01",
    "status": "Shipped",
    "quantity": "2",
    "unit_price": "10.50",
    "country": "US",
    "updated_at": "",
}


def records(spark, rows, key="raw/orders/a.csv", parse_error=None):
    data = [
        (key, line, parse_error, None, *[row.get(c) for c in COLUMNS])
        for line, row in enumerate(rows, start=2)
    ]
    return spark.createDataFrame(data, record_schema(COLUMNS))


def files_frame(spark, entries=(("raw/orders/a.csv", 0, False),)):
    return spark.createDataFrame(
        list(entries), "source_key string, file_order int, duplicate_file boolean"
    )


def classify_rows(cleaned, files):
    return classify(cleaned, files, KEY, latest_first())


def processed_rows(classified):
    return processed(classified, PROCESSED_COLUMNS)


def clean_one(spark, **changes):
    return clean(records(spark, [{**GOOD, **changes}])).collect()[0]


def test_clean_row_values(spark):
    row = clean_one(spark, unit_price=" $1,299.505 ", country="united states")
    assert row.reason is None
    assert (row.order_id, row.customer_id, row.status) == ("o1", "C1", "shipped")
    assert row.unit_price == Decimal("1299.51")
    assert row.amount == Decimal("2599.02")
    assert (row.country, row.order_month, row.order_date) == ("US", "2024-03", date(2024, 3, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("2024/03/01", date(2024, 3, 1)),
        ("3/1/2024", date(2024, 3, 1)),
        ("03/01/2024", date(2024, 3, 1)),
        ("2024-03-01T10:00:00Z", date(2024, 3, 1)),
        ("2024-03-01T23:30:00-05:00", date(2024, 3, 2)),
        ("2024-03-02T01:00:00+0530", date(2024, 3, 1)),
        ("2024-03-01T10:00", date(2024, 3, 1)),
        ("2024-03-01T23:46Z", date(2024, 3, 1)),
        ("2024-03-01T23:46-01:00", date(2024, 3, 2)),
        ("2024-03-01T23:46:10.123+0100", date(2024, 3, 1)),
    ],
)
def test_order_date_forms_become_utc_dates(spark, text, expected):
    row = clean_one(spark, order_date=text)
    assert (row.reason, row.order_date) == (None, expected)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"order_id": "  "}, "missing_field"),
        ({"customer_id": ""}, "missing_field"),
        ({"unit_price": None}, "missing_field"),
        ({"order_date": "2024-02-30"}, "bad_date"),
        ({"order_date": "yesterday"}, "bad_date"),
        ({"order_date": "13/01/2024"}, "bad_date"),
        ({"updated_at": "not a time"}, "bad_date"),
        ({"status": "lost"}, "bad_status"),
        ({"quantity": "0"}, "bad_quantity"),
        ({"quantity": "-1"}, "bad_quantity"),
        ({"quantity": "2.5"}, "bad_quantity"),
        ({"quantity": "99999999999"}, "bad_quantity"),
        ({"unit_price": "-5"}, "bad_price"),
        ({"unit_price": "abc"}, "bad_price"),
        ({"unit_price": "1,2,3"}, "bad_price"),
        ({"unit_price": "99999999999"}, "bad_price"),
        ({"order_id": "", "status": "lost"}, "missing_field"),
        ({"order_date": "bad", "status": "lost"}, "bad_date"),
    ],
)
def test_each_rejection_reason_first_failing_rule_wins(spark, changes, reason):
    assert clean_one(spark, **changes).reason == reason


def test_parse_error_is_the_reason(spark):
    row = clean(records(spark, [GOOD], parse_error="malformed_row")).collect()[0]
    assert row.reason == "malformed_row"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("IN", "IN"),
        ("india", "IN"),
        ("USA", "US"),
        ("United States", "US"),
        ("", "UNKNOWN"),
        (None, "UNKNOWN"),
        ("Atlantis", "UNKNOWN"),
        (" gb ", "GB"),
        ("DEU", "DE"),
    ],
)
def test_country_forms(spark, raw, code):
    assert clean_one(spark, country=raw).country == code


def test_canceled_spelling_and_quantity_with_spaces(spark):
    row = clean_one(spark, status=" CANCELED ", quantity=" +3 ")
    assert (row.status, row.quantity, row.reason) == ("cancelled", 3, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T12:00:00+02:00", datetime(2024, 3, 1, 10, 0)),
        ("2024-03-01T02:46Z", datetime(2024, 3, 1, 2, 46)),
        ("2024-03-01", datetime(2024, 3, 1)),
    ],
)
def test_updated_at_is_utc(spark, text, expected):
    row = clean_one(spark, updated_at=text)
    assert (row.reason, row.updated_at) == (None, expected)


def test_dedupe_prefers_latest_updated_at_then_latest_file_then_last_line(spark):
    a = records(
        spark,
        [
            {**GOOD, "order_id": "x", "updated_at": "2024-03-01T10:00:00Z", "quantity": "1"},
            {**GOOD, "order_id": "x", "updated_at": "2024-03-01T09:00:00Z", "quantity": "2"},
            {**GOOD, "order_id": "y", "quantity": "3"},
            {**GOOD, "order_id": "z", "quantity": "5"},
            {**GOOD, "order_id": "z", "quantity": "6"},
        ],
    )
    b = records(spark, [{**GOOD, "order_id": "y", "quantity": "4"}], key="raw/orders/b.csv")
    files = files_frame(spark, [("raw/orders/a.csv", 0, False), ("raw/orders/b.csv", 1, False)])
    classified = classify_rows(clean(a.unionByName(b)), files)
    kept = {r.order_id: r.quantity for r in processed_rows(classified).collect()}
    assert kept == {"x": 1, "y": 4, "z": 6}
    counts = {r.source_key: r.asDict() for r in file_counts(classified).collect()}
    assert counts["raw/orders/a.csv"]["rows_duplicate"] == 3
    assert counts["raw/orders/b.csv"]["rows_valid"] == 1


def test_rejected_rows_are_quarantined_not_deduplicated(spark):
    rows = [{**GOOD, "order_id": "x"}, {**GOOD, "order_id": "x", "status": "lost"}]
    classified = classify_rows(clean(records(spark, rows)), files_frame(spark))
    quarantined = quarantined_rows(classified, COLUMNS).collect()
    assert [(r.source_line, r.reason, r.raw_status) for r in quarantined] == [
        (3, "bad_status", "lost")
    ]
    assert processed_rows(classified).count() == 1


def test_every_row_of_a_duplicate_file_is_a_duplicate(spark):
    rows = [GOOD, {**GOOD, "order_id": "o2"}, {**GOOD, "status": "lost"}]
    files = files_frame(spark, [("raw/orders/a.csv", 0, True)])
    classified = classify_rows(clean(records(spark, rows)), files)
    counts = file_counts(classified).collect()[0]
    assert (counts.rows_read, counts.rows_duplicate, counts.rows_valid) == (3, 3, 0)


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("2.675", "2.68"),
        ("0.125", "0.13"),
        ("1.0049999999999999999", "1.00"),
        ("$1,000.005", "1000.01"),
    ],
)
def test_prices_round_half_up_exactly(spark, text, price):
    assert clean_one(spark, unit_price=text).unit_price == Decimal(price)


def test_an_amount_too_large_for_the_contract_is_a_bad_quantity(spark):
    row = clean_one(spark, quantity="2000000000", unit_price="9999.99")
    assert row.reason == "bad_quantity"


def test_a_trailing_newline_inside_a_quoted_value_is_not_a_number(spark):
    assert clean_one(spark, quantity="3\n").reason == "bad_quantity"
