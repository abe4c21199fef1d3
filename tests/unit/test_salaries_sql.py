"""The salaries summaries (sql/salaries) on DuckDB, against values worked out by hand.

The fixture is two runs of processed salaries crawled into the local catalog, as the Glue
job and the crawler leave them. Expected values come from the comments, not from code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.datasets import get_dataset
from pipeline.lake import Lake
from pipeline.steps.athena import run_summaries, summary_sql_files, view_sql_files
from pipeline.steps.crawl import crawl_table

DATABASE = "lake"
SPEC = get_dataset("salaries")
SCHEMA = pa.schema(
    [
        ("employee_id", pa.string()),
        ("name", pa.string()),
        ("department", pa.string()),
        ("country", pa.string()),
        ("salary", pa.decimal128(14, 2)),
        ("currency", pa.string()),
        ("as_of_date", pa.date32()),
        ("source_key", pa.string()),
        ("source_line", pa.int32()),
    ]
)

# (employee_id, country, salary, currency, as_of_date)
FIRST_RUN = [
    ("E1", "IN", "1000000.00", "INR", "2024-02-01"),
    ("E2", "IN", "1500000.00", "INR", "2024-02-01"),
    ("E3", "IN", "1200000.50", "INR", None),
    ("E4", "IN", "90000.00", "USD", "2024-02-01"),  # an Indian employee paid in dollars
    ("U1", "US", "100000.00", "USD", "2024-02-01"),
    ("U2", "US", "120000.00", "USD", "2024-02-01"),
    ("U3", "US", "95000.01", "USD", None),
    ("D1", "DE", "60000.00", "EUR", "2024-02-01"),
]
SECOND_RUN = [
    ("E1", "IN", "1100000.00", "INR", "2024-03-01"),  # a raise: newer as_of_date wins
    ("U1", "US", "90000.00", "USD", "2024-01-01"),  # older as_of_date: U1 stays 100000.00
    ("E3", "IN", "1300000.01", "INR", None),  # both undated: the later run wins
    ("U4", "US", "110000.00", "USD", "2024-03-01"),
    ("U5", "US", "99999.99", "USD", "2024-03-01"),
    ("D2", "DE", "70000.01", "EUR", None),
    ("E5", "IN", "800000.00", "INR", "2024-03-01"),
]
# Latest versions, by hand:
#   IN/INR  E5 800000.00  E1 1100000.00  E3 1300000.01  E2 1500000.00   (even: 4)
#   IN/USD  E4 90000.00                                                 (odd: 1)
#   US/USD  U3 95000.01  U5 99999.99  U1 100000.00  U4 110000.00  U2 120000.00  (odd: 5)
#   DE/EUR  D1 60000.00  D2 70000.01                                    (even: 2)
EXPECTED = {
    "salary_by_country": [
        # 130000.01 / 2 = 65000.005 -> 65000.01 (half up; in DOUBLE it would be 65000.00)
        {
            "country": "DE",
            "currency": "EUR",
            "headcount": 2,
            "total_salary": Decimal("130000.01"),
            "average_salary": Decimal("65000.01"),
            "median_salary": Decimal("65000.01"),
            "min_salary": Decimal("60000.00"),
            "max_salary": Decimal("70000.01"),
        },
        # total 4700000.01 / 4 = 1175000.0025 -> 1175000.00;
        # median (1100000.00 + 1300000.01) / 2 = 1200000.005 -> 1200000.01
        {
            "country": "IN",
            "currency": "INR",
            "headcount": 4,
            "total_salary": Decimal("4700000.01"),
            "average_salary": Decimal("1175000.00"),
            "median_salary": Decimal("1200000.01"),
            "min_salary": Decimal("800000.00"),
            "max_salary": Decimal("1500000.00"),
        },
        {
            "country": "IN",
            "currency": "USD",
            "headcount": 1,
            "total_salary": Decimal("90000.00"),
            "average_salary": Decimal("90000.00"),
            "median_salary": Decimal("90000.00"),
            "min_salary": Decimal("90000.00"),
            "max_salary": Decimal("90000.00"),
        },
        # total 525000.00 / 5 = 105000.00; median: the 3rd of 5, U1 100000.00
        {
            "country": "US",
            "currency": "USD",
            "headcount": 5,
            "total_salary": Decimal("525000.00"),
            "average_salary": Decimal("105000.00"),
            "median_salary": Decimal("100000.00"),
            "min_salary": Decimal("95000.01"),
            "max_salary": Decimal("120000.00"),
        },
    ],
    # Own currency only: E4 (IN, paid in USD) is in neither row.
    "india_vs_us": [
        {
            "country": "IN",
            "headcount": 4,
            "total_salary": Decimal("4700000.01"),
            "average_salary": Decimal("1175000.00"),
        },
        {
            "country": "US",
            "headcount": 5,
            "total_salary": Decimal("525000.00"),
            "average_salary": Decimal("105000.00"),
        },
    ],
}


def write_run(root: Path, run_date: str, rows: list[tuple]) -> None:
    """One run's partition as the Glue job leaves it (part file plus Spark's marker)."""
    folder = root / "processed" / "salaries" / f"run_date={run_date}"
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {
            "employee_id": employee,
            "name": f"Name {employee}",
            "department": "Engineering",
            "country": country,
            "salary": Decimal(salary),
            "currency": currency,
            "as_of_date": date.fromisoformat(as_of) if as_of else None,
            "source_key": f"raw/salaries/dt={run_date}/salaries.csv",
            "source_line": line,
        }
        for line, (employee, country, salary, currency, as_of) in enumerate(rows, start=2)
    ]
    pq.write_table(
        pa.Table.from_pylist(records, schema=SCHEMA),
        folder / "part-00000-5a1a.c000.snappy.parquet",
        compression="snappy",
    )
    (folder / "_SUCCESS").write_bytes(b"")


def summaries(lake_root: Path) -> dict[str, pa.Table]:
    lake = Lake(str(lake_root))
    crawl_table(lake, DATABASE, "salaries")
    counts = run_summaries(lake, DATABASE, "salaries", SPEC.sql_dir)
    tables = {name: pq.read_table(lake_root / "enriched" / "salaries" / name) for name in counts}
    assert counts == {name: table.num_rows for name, table in tables.items()}
    return tables


def test_the_sql_files_are_the_specs_summaries_and_one_view():
    assert list(view_sql_files(SPEC.sql_dir)) == ["salaries_latest"]
    assert sorted(summary_sql_files(SPEC.sql_dir)) == sorted(SPEC.summaries)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> dict[str, pa.Table]:
    root = tmp_path_factory.mktemp("lake")
    write_run(root, "2024-03-01", FIRST_RUN)
    write_run(root, "2024-03-02", SECOND_RUN)
    return summaries(root)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_summaries_match_hand_computed_values(two_runs, name):
    assert two_runs[name].to_pylist() == EXPECTED[name]


def test_summary_column_names_and_types(two_runs):
    money = pa.decimal128(38, 2)
    assert two_runs["salary_by_country"].schema == pa.schema(
        [
            ("country", pa.string()),
            ("currency", pa.string()),
            ("headcount", pa.int64()),
            ("total_salary", money),
            ("average_salary", money),
            ("median_salary", money),
            ("min_salary", money),
            ("max_salary", money),
        ]
    )
    assert two_runs["india_vs_us"].schema == pa.schema(
        [
            ("country", pa.string()),
            ("headcount", pa.int64()),
            ("total_salary", money),
            ("average_salary", money),
        ]
    )


def test_india_vs_us_has_both_rows_even_without_such_employees(lake_root):
    write_run(lake_root, "2024-03-01", [("D1", "DE", "60000.00", "EUR", None)])
    assert summaries(lake_root)["india_vs_us"].to_pylist() == [
        {"country": c, "headcount": 0, "total_salary": Decimal("0.00"), "average_salary": None}
        for c in ("IN", "US")
    ]
