"""Each salaries cleaning rule and rejection reason, on the shared SparkSession.

Spark actions cost about half a second each, so every case is a row of one DataFrame that
is cleaned and collected once (module fixture); each test then looks up its rows by line.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from glue_lib.csv_records import record_schema
from glue_lib.outcomes import classify_rows, processed_rows
from glue_lib.salaries import (
    COLUMNS,
    KEY,
    PROCESSED_COLUMNS,
    accepted_countries,
    clean,
    currency_codes,
    latest_first,
)
from glue_lib.validation import suite_columns
from pyspark.sql import types as T

from tests.oracle import salaries_oracle as oracle

REPO = Path(__file__).resolve().parents[2]

GOOD = {
    "employee_id": " E1 ",
    "country": "US",
    "salary": "85000",
    "name": " Ann Lee ",
    "department": "",
    "currency": "",
    "as_of_date": "2024-03-01",
}

# (changes to GOOD, expected reason or None, cleaned values to check for a valid row)
CASES: list[tuple[dict, str | None, dict]] = [
    # --- valid rows: the accepted forms and their cleaned values --------------------------
    (
        {},
        None,
        {
            "employee_id": "E1",
            "name": "Ann Lee",
            "department": None,
            "country": "US",
            "salary": Decimal("85000.00"),
            "currency": "USD",
            "as_of_date": date(2024, 3, 1),
        },
    ),
    ({"country": "india"}, None, {"country": "IN", "currency": "INR"}),
    ({"country": "IND"}, None, {"country": "IN", "currency": "INR"}),
    ({"country": " In "}, None, {"country": "IN"}),
    ({"country": "usa"}, None, {"country": "US", "currency": "USD"}),
    ({"country": "United States"}, None, {"country": "US"}),
    ({"country": "UNITED STATES"}, None, {"country": "US"}),
    ({"country": "de", "currency": " eur "}, None, {"country": "DE", "currency": "EUR"}),
    ({"country": "GB", "currency": "GBP"}, None, {"country": "GB", "currency": "GBP"}),
    ({"salary": "85,000"}, None, {"salary": Decimal("85000.00")}),
    ({"salary": " $85,000.00 "}, None, {"salary": Decimal("85000.00")}),
    ({"salary": "$ 1,234,567.891"}, None, {"salary": Decimal("1234567.89")}),
    ({"country": "IN", "salary": "₹12,50,000"}, None, {"salary": Decimal("1250000.00")}),
    ({"country": "IN", "salary": "Rs. 12,50,000.50"}, None, {"salary": Decimal("1250000.50")}),
    ({"country": "IN", "salary": "rs 1,00,00,000"}, None, {"salary": Decimal("10000000.00")}),
    ({"country": "IN", "salary": "RS.1000"}, None, {"salary": Decimal("1000.00")}),
    (
        {"country": "DE", "currency": "EUR", "salary": "€64,500.5"},
        None,
        {"salary": Decimal("64500.50")},
    ),
    ({"country": "GB", "currency": "GBP", "salary": "£52,000"}, None, {"currency": "GBP"}),
    ({"country": "JP", "currency": "JPY", "salary": "¥6,500,000"}, None, {"currency": "JPY"}),
    ({"country": "CA", "currency": "CAD", "salary": "$90,000"}, None, {"currency": "CAD"}),
    ({"salary": "2.675"}, None, {"salary": Decimal("2.68")}),  # half up, not float
    ({"salary": "0.005"}, None, {"salary": Decimal("0.01")}),
    ({"salary": "999999999999.99"}, None, {"salary": Decimal("999999999999.99")}),
    ({"country": "IN", "currency": "usd"}, None, {"country": "IN", "currency": "USD"}),
    ({"country": "IN", "currency": "USD", "salary": "$90,000"}, None, {"currency": "USD"}),
    ({"as_of_date": ""}, None, {"as_of_date": None}),
    ({"as_of_date": " 2024-02-29 "}, None, {"as_of_date": date(2024, 2, 29)}),
    ({"currency": None, "name": None, "as_of_date": None}, None, {"currency": "USD"}),
    # --- missing_field ---------------------------------------------------------------------
    ({"employee_id": "   "}, "missing_field", {}),
    ({"country": ""}, "missing_field", {}),
    ({"salary": None}, "missing_field", {}),
    ({"country": "DE"}, "missing_field", {}),  # no currency and no default for DE
    ({"country": "DE", "currency": None}, "missing_field", {}),
    # --- bad_country: only alpha-2 codes and the contract's named forms --------------------
    *[
        ({"country": text}, "bad_country", {})
        for text in ("Germany", "DEU", "UK", "U.S.", "America", "XX", "Bharat", "N/A", "I N")
    ],
    # --- bad_salary ------------------------------------------------------------------------
    *[
        ({"salary": text}, "bad_salary", {})
        for text in (
            "0",
            "0.00",
            "0.004",
            "-5000",
            "abc",
            "85k",
            "12,50",
            "1,2,3",
            "12.500,00",
            "1,00,000,000",
            "1e5",
            "USD 85000",
            "$",
            "$$5",
            "5.",
            ".5",
            "1000000000000.00",
            "85000 $",
            "$  85000",
            "８５０００",
        )
    ],
    # --- bad_currency ----------------------------------------------------------------------
    *[({"currency": text}, "bad_currency", {}) for text in ("US$", "XYZ", "Rupees", "EURO")],
    ({"salary": "₹90,000"}, "bad_currency", {}),  # US row, defaulted USD
    ({"country": "IN", "salary": "$85,000"}, "bad_currency", {}),  # IN row, defaulted INR
    ({"country": "GB", "currency": "GBP", "salary": "€5000"}, "bad_currency", {}),
    ({"salary": "Rs 5000", "currency": "USD"}, "bad_currency", {}),
    ({"country": "JP", "currency": "EUR", "salary": "¥5000"}, "bad_currency", {}),
    # --- an unparseable as_of_date is a malformed row ---------------------------------------
    *[
        ({"as_of_date": text}, "malformed_row", {})
        for text in ("2024-02-30", "2023-02-29", "03/01/2024", "2024-3-1", "yesterday", "20240301")
    ],
    # --- the first failing rule names the reason -------------------------------------------
    ({"country": "Germany", "salary": "abc"}, "bad_country", {}),
    ({"salary": "abc", "currency": "XYZ"}, "bad_salary", {}),
    ({"country": "DE", "as_of_date": "soon"}, "missing_field", {}),
    ({"currency": "XYZ", "as_of_date": "soon"}, "bad_currency", {}),
    ({"employee_id": "", "country": "Atlantis"}, "missing_field", {}),
]
FIRST_LINE = 2


def records(spark, rows, key="raw/salaries/a.csv", parse_error=None, first_line=FIRST_LINE):
    data = [
        (key, line, parse_error, None, *[row.get(c) for c in COLUMNS])
        for line, row in enumerate(rows, start=first_line)
    ]
    return spark.createDataFrame(data, record_schema(COLUMNS))


@pytest.fixture(scope="module")
def cleaned(spark) -> dict[int, object]:
    """Every case cleaned in one action, plus a row the CSV parser already marked."""
    frame = records(spark, [{**GOOD, **changes} for changes, _, _ in CASES]).unionByName(
        records(spark, [GOOD], parse_error="malformed_row", first_line=1000)
    )
    return {row.source_line: row for row in clean(frame).collect()}


@pytest.mark.parametrize(
    ("line", "changes", "reason", "values"),
    [(line, *case) for line, case in enumerate(CASES, start=FIRST_LINE)],
    ids=[f"{reason or 'valid'}-{changes}" for changes, reason, _ in CASES],
)
def test_rule(cleaned, line, changes, reason, values):
    row = cleaned[line]
    assert row.reason == reason
    assert {name: row[name] for name in values} == values


def test_a_row_the_parser_marked_malformed_stays_malformed(cleaned):
    assert cleaned[1000].reason == "malformed_row"


def test_accepted_country_spellings_are_alpha_2_codes_and_the_named_forms():
    accepted = accepted_countries()
    assert accepted["INDIA"] == accepted["IND"] == accepted["IN"] == "IN"
    assert accepted["USA"] == accepted["UNITED STATES"] == accepted["US"] == "US"
    assert accepted["FR"] == "FR" and len(accepted) == 249 + 4
    assert not {"GERMANY", "DEU", "UK", "U.S.", "FRA"} & set(accepted)
    assert {"USD", "INR", "EUR", "JPY"} <= set(currency_codes())


def test_processed_schema_matches_the_contract(spark):
    frame = clean(records(spark, [GOOD]))
    files = spark.createDataFrame([], "source_key string, file_order int, duplicate_file boolean")
    schema = processed_rows(classify_rows(frame, files, KEY, latest_first()), PROCESSED_COLUMNS)
    types = {field.name: field.dataType for field in schema.schema.fields}
    assert tuple(types) == PROCESSED_COLUMNS
    assert types["salary"] == T.DecimalType(14, 2)
    assert types["as_of_date"] == T.DateType()
    assert types["source_line"] == T.IntegerType()


def test_duplicates_keep_latest_as_of_date_then_latest_file_then_last_line(spark):
    a, b, c = "raw/salaries/a.csv", "raw/salaries/b.csv", "raw/salaries/c.csv"

    def row(employee, as_of, salary="100"):
        return {**GOOD, "employee_id": employee, "as_of_date": as_of, "salary": salary}

    frame = (
        records(
            spark,
            [
                row("E1", "2024-02-01", "1"),  # line 2: E1's latest date, though in file a
                row("E2", "2024-02-01", "2"),  # line 3: loses to file b (same date)
                row("E3", "2024-02-01", "3"),  # line 4: loses to line 5 (same file, date)
                row("E3", "2024-02-01", "4"),  # line 5: kept
                row("E4", "", "5"),  # line 6: no date is the oldest
                row("E5", "2024-02-01", "x"),  # line 7: rejected, not a candidate
            ],
            key=a,
        )
        .unionByName(
            records(
                spark,
                [
                    row("E1", ""),  # line 2: no date loses
                    row("E1", "2024-01-01"),  # line 3: older
                    row(" E2 ", "2024-02-01", "6"),  # line 4: kept (later file; id trimmed)
                    row("E4", "2024-01-01", "7"),  # line 5: kept over an undated version
                    row("E5", "", "8"),  # line 6: the only valid E5
                ],
                key=b,
            )
        )
        .unionByName(records(spark, [row("E1", "2024-03-01")], key=c))  # duplicate file
    )
    files = spark.createDataFrame(
        [(a, 0, False), (b, 1, False), (c, 2, True)],
        "source_key string, file_order int, duplicate_file boolean",
    )
    classified = classify_rows(clean(frame), files, KEY, latest_first())
    outcomes = {
        (r.source_key, r.source_line): r.outcome
        for r in classified.select("source_key", "source_line", "outcome").collect()
    }

    valid = sorted(key for key, outcome in outcomes.items() if outcome == "valid")
    assert valid == [(a, 2), (a, 5), (b, 4), (b, 5), (b, 6)]
    assert outcomes[(a, 7)] == "rejected"
    assert outcomes[(c, 2)] == "duplicate"
    assert len(outcomes) == 12


@pytest.mark.parametrize(("changes", "reason", "values"), CASES)
def test_the_independent_oracle_agrees_on_every_case(changes, reason, values):
    row = {**GOOD, **changes}
    # An absent optional column is left out of the header; a file without a required
    # column is a bad file, so a None required value is an empty one here.
    header = [name for name in COLUMNS if row[name] is not None or name in oracle.REQUIRED_COLUMNS]
    outcome = oracle.clean_record(header, [row[name] or "" for name in header])
    if reason is None:
        assert {name: getattr(outcome, name) for name in values} == values
    else:
        assert outcome == reason


def test_the_suite_checks_the_processed_columns_and_the_row_count():
    suite = (REPO / "expectations" / "salaries.json").read_text()
    assert tuple(suite_columns(suite)) == PROCESSED_COLUMNS
    assert '{"$PARAMETER": "expected_row_count"}' in suite.replace("\n", "").replace("  ", "")
