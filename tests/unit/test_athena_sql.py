"""The Athena step on DuckDB: the SQL files, the query layer and the published summaries.

The fixture is two runs of processed orders and the ``order_totals`` table the Glue job
makes of them (written here by hand from the latest versions), crawled into the local
catalog. The summaries read ``order_totals``; the expected summaries below are worked out
by hand from the orders (see the comments), not computed. ``tests/unit/test_aggregates.py``
runs the same SQL over the table as Spark writes it from these runs.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot

from pipeline.config import REPO_ROOT
from pipeline.datasets import get_dataset
from pipeline.lake import Lake
from pipeline.query import open_catalog_connection, run_trino_sql, transpile_trino
from pipeline.steps.athena import (
    publish_result,
    run_summaries,
    summary_sql_files,
    view_sql_files,
)
from pipeline.steps.crawl import crawl_table
from tests.processed_schemas import ORDER_TOTALS_SCHEMA as TOTALS_SCHEMA
from tests.processed_schemas import ORDERS_SCHEMA

DATABASE = "lake"
SQL_FILES = sorted((REPO_ROOT / "sql").glob("*/**/*.sql"))
ORDERS_SQL = get_dataset("orders").sql_dir
SUMMARIES = ("average_order_value", "revenue_by_month", "sales_by_customer", "status_summary")


def order(
    order_id: str,
    customer_id: str,
    order_date: str,
    status: str,
    quantity: int,
    unit_price: str,
    updated_at: str | None,
    source_line: int,
) -> tuple:
    price = Decimal(unit_price)
    return (
        order_id,
        customer_id,
        date.fromisoformat(order_date),
        status,
        quantity,
        price,
        "US",
        datetime.fromisoformat(updated_at) if updated_at else None,
        quantity * price,
        order_date[:7],
        source_line,
    )


# Run 2024-03-01.
FIRST_RUN = [
    order("A1", "C001", "2024-01-15", "delivered", 1, "10.00", "2024-03-01T09:00:00+00:00", 2),
    order("A2", "C001", "2024-02-03", "shipped", 1, "1.00", "2024-03-01T09:00:00+00:00", 3),
    order("A3", "C002", "2024-02-10", "pending", 1, "1.01", None, 4),
    order("A4", "C003", "2024-02-20", "cancelled", 3, "7.00", "2024-03-01T09:00:00+00:00", 5),
    order("A5", "C002", "2024-01-20", "shipped", 2, "4.50", "2024-03-01T09:00:00+00:00", 6),
    order("A6", "C004", "2024-01-28", "pending", 1, "5.00", None, 7),
]
# Run 2024-03-02.
SECOND_RUN = [
    # Older news: no updated_at loses to the first run's timestamped version (stays delivered).
    order("A1", "C001", "2024-01-15", "cancelled", 1, "10.00", None, 2),
    # A real update: newer updated_at, now returned.
    order("A5", "C002", "2024-01-20", "returned", 2, "4.50", "2024-03-02T08:00:00+00:00", 3),
    # Neither version has updated_at: the later run wins (shipped, 2 x 5.00).
    order("A6", "C004", "2024-01-28", "shipped", 2, "5.00", None, 4),
    order("B2", "C003", "2024-03-05", "cancelled", 1, "3.33", "2024-03-02T08:00:00+00:00", 5),
]
# Latest versions, by hand (id customer month status amount):
#   A1 C001 2024-01 delivered 10.00   A2 C001 2024-02 shipped    1.00
#   A3 C002 2024-02 pending    1.01   A4 C003 2024-02 cancelled 21.00
#   A5 C002 2024-01 returned   9.00   A6 C004 2024-01 shipped   10.00
#   B2 C003 2024-03 cancelled  3.33
# Their order_totals: one row per (order_date, customer_id, status), cancelled and
# returned revenue 0.
TOTALS = [
    (date(2024, 1, 15), "C001", "delivered", "2024-01", 1, Decimal("10.00")),  # A1
    (date(2024, 2, 3), "C001", "shipped", "2024-02", 1, Decimal("1.00")),  # A2
    (date(2024, 2, 10), "C002", "pending", "2024-02", 1, Decimal("1.01")),  # A3
    (date(2024, 2, 20), "C003", "cancelled", "2024-02", 1, Decimal("0.00")),  # A4
    (date(2024, 1, 20), "C002", "returned", "2024-01", 1, Decimal("0.00")),  # A5
    (date(2024, 1, 28), "C004", "shipped", "2024-01", 1, Decimal("10.00")),  # A6
    (date(2024, 3, 5), "C003", "cancelled", "2024-03", 1, Decimal("0.00")),  # B2
]
EXPECTED = {
    "sales_by_customer": [
        # C001: A1 + A2 = 11.00
        {
            "customer_id": "C001",
            "orders": 2,
            "revenue": Decimal("11.00"),
            "first_order_date": date(2024, 1, 15),
            "last_order_date": date(2024, 2, 3),
        },
        # C002: A3 1.01 (A5 returned adds nothing)
        {
            "customer_id": "C002",
            "orders": 2,
            "revenue": Decimal("1.01"),
            "first_order_date": date(2024, 1, 20),
            "last_order_date": date(2024, 2, 10),
        },
        # C003: only cancelled orders
        {
            "customer_id": "C003",
            "orders": 2,
            "revenue": Decimal("0.00"),
            "first_order_date": date(2024, 2, 20),
            "last_order_date": date(2024, 3, 5),
        },
        {
            "customer_id": "C004",
            "orders": 1,
            "revenue": Decimal("10.00"),
            "first_order_date": date(2024, 1, 28),
            "last_order_date": date(2024, 1, 28),
        },
    ],
    "revenue_by_month": [
        # A1 10.00 + A6 10.00 over 2 revenue orders (A5 returned)
        {
            "order_month": "2024-01",
            "orders": 3,
            "revenue": Decimal("20.00"),
            "average_order_value": Decimal("10.00"),
        },
        # 2.01 / 2 = 1.005, half up -> 1.01 (in DOUBLE it is 1.00499… -> 1.00)
        {
            "order_month": "2024-02",
            "orders": 3,
            "revenue": Decimal("2.01"),
            "average_order_value": Decimal("1.01"),
        },
        # only a cancelled order: no revenue, no average
        {
            "order_month": "2024-03",
            "orders": 1,
            "revenue": Decimal("0.00"),
            "average_order_value": None,
        },
    ],
    "status_summary": [
        {"status": "cancelled", "orders": 2, "share_of_orders": Decimal("0.2857")},  # 2/7
        {"status": "delivered", "orders": 1, "share_of_orders": Decimal("0.1429")},  # 1/7
        {"status": "pending", "orders": 1, "share_of_orders": Decimal("0.1429")},
        {"status": "returned", "orders": 1, "share_of_orders": Decimal("0.1429")},
        {"status": "shipped", "orders": 2, "share_of_orders": Decimal("0.2857")},
    ],
    # 22.01 over A1, A2, A3, A6 = 5.5025 -> 5.50
    "average_order_value": [
        {"orders": 7, "revenue": Decimal("22.01"), "average_order_value": Decimal("5.50")}
    ],
}


def write_run(root: Path, run_date: str, rows: list[tuple]) -> Path:
    """One run's partition as the Glue job leaves it (part file plus Spark's markers)."""
    folder = root / "processed" / "orders" / f"run_date={run_date}"
    folder.mkdir(parents=True, exist_ok=True)
    source_key = f"raw/orders/dt={run_date}/orders.csv"
    records = [
        dict(zip(ORDERS_SCHEMA.names, (*row[:10], source_key, row[10]), strict=True))
        for row in rows
    ]
    pq.write_table(
        pa.Table.from_pylist(records, schema=ORDERS_SCHEMA),
        folder / "part-00000-0b1c.c000.snappy.parquet",
        compression="snappy",
    )
    (folder / "_SUCCESS").write_bytes(b"")
    return folder


def write_totals(root: Path, rows: list[tuple]) -> Path:
    """``processed/order_totals/`` as the Glue job leaves it: unpartitioned, whole."""
    folder = root / "processed" / "order_totals"
    folder.mkdir(parents=True, exist_ok=True)
    records = [dict(zip(TOTALS_SCHEMA.names, row, strict=True)) for row in rows]
    pq.write_table(
        pa.Table.from_pylist(records, schema=TOTALS_SCHEMA),
        folder / "part-00000-4d2e.c000.snappy.parquet",
        compression="snappy",
    )
    (folder / "_SUCCESS").write_bytes(b"")
    return folder


def enriched_files(root: Path) -> dict[str, bytes]:
    folder = root / "enriched" / "orders"
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def lake(lake_root: Path) -> Lake:
    write_run(lake_root, "2024-03-01", FIRST_RUN)
    write_run(lake_root, "2024-03-02", SECOND_RUN)
    write_totals(lake_root, TOTALS)
    lake = Lake(str(lake_root))
    crawl_table(lake, DATABASE, "orders")
    crawl_table(lake, DATABASE, "order_totals")
    return lake


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_sql_file_is_one_trino_statement_that_transpiles(path: Path) -> None:
    statements = [s for s in sqlglot.parse(path.read_text(), read="trino") if s is not None]
    assert len(statements) == 1
    expected = sqlglot.exp.Create if path.parent.name == "views" else sqlglot.exp.Query
    assert isinstance(statements[0], expected)
    assert sqlglot.transpile(path.read_text(), read="trino", write="duckdb")
    assert transpile_trino(path.read_text())


def test_sql_files_of_a_dataset() -> None:
    sql_dir = ORDERS_SQL
    assert list(view_sql_files(sql_dir)) == []  # the summaries read order_totals
    assert tuple(summary_sql_files(sql_dir)) == SUMMARIES
    assert (
        summary_sql_files(sql_dir)["status_summary"] == (sql_dir / "status_summary.sql").read_text()
    )


def test_summaries_match_hand_computed_values(lake: Lake, lake_root: Path) -> None:
    row_counts = run_summaries(lake, DATABASE, "orders", ORDERS_SQL)

    assert row_counts == {name: len(EXPECTED[name]) for name in SUMMARIES}
    for name, expected in EXPECTED.items():
        table = pq.read_table(lake_root / "enriched" / "orders" / name)
        assert table.to_pylist() == expected, name


def test_summaries_read_only_the_totals_table(lake_root: Path) -> None:
    """Not one order row is scanned: with only order_totals catalogued, the same results."""
    write_totals(lake_root, TOTALS)
    lake = Lake(str(lake_root))
    crawl_table(lake, DATABASE, "order_totals")

    run_summaries(lake, DATABASE, "orders", ORDERS_SQL)

    for name, expected in EXPECTED.items():
        assert pq.read_table(lake_root / "enriched" / "orders" / name).to_pylist() == expected


def test_totals_split_over_more_rows_sum_to_the_same_summaries(lake_root: Path) -> None:
    """Rows of several orders (counts above 1) add up like the orders they stand for."""
    split = [
        (date(2024, 1, 15), "C001", "delivered", "2024-01", 3, Decimal("30.01")),
        (date(2024, 1, 16), "C001", "cancelled", "2024-01", 2, Decimal("0.00")),
        (date(2024, 2, 1), "C002", "delivered", "2024-02", 2, Decimal("0.01")),
        (date(2024, 2, 9), "C001", "returned", "2024-02", 4, Decimal("0.00")),
    ]
    write_totals(lake_root, split)
    lake = Lake(str(lake_root))
    crawl_table(lake, DATABASE, "order_totals")

    run_summaries(lake, DATABASE, "orders", ORDERS_SQL)

    def rows(name: str) -> list[dict]:
        return pq.read_table(lake_root / "enriched" / "orders" / name).to_pylist()

    assert rows("sales_by_customer") == [
        {
            "customer_id": "C001",
            "orders": 9,
            "revenue": Decimal("30.01"),
            "first_order_date": date(2024, 1, 15),
            "last_order_date": date(2024, 2, 9),
        },
        {
            "customer_id": "C002",
            "orders": 2,
            "revenue": Decimal("0.01"),
            "first_order_date": date(2024, 2, 1),
            "last_order_date": date(2024, 2, 1),
        },
    ]
    assert rows("revenue_by_month") == [
        # 30.01 / 3 paying orders = 10.0033 -> 10.00
        {
            "order_month": "2024-01",
            "orders": 5,
            "revenue": Decimal("30.01"),
            "average_order_value": Decimal("10.00"),
        },
        # 0.01 / 2 = 0.005, half up -> 0.01 (the 4 returned orders do not count)
        {
            "order_month": "2024-02",
            "orders": 6,
            "revenue": Decimal("0.01"),
            "average_order_value": Decimal("0.01"),
        },
    ]
    assert rows("status_summary") == [
        {"status": "cancelled", "orders": 2, "share_of_orders": Decimal("0.1818")},  # 2/11
        {"status": "delivered", "orders": 5, "share_of_orders": Decimal("0.4545")},  # 5/11
        {"status": "returned", "orders": 4, "share_of_orders": Decimal("0.3636")},  # 4/11
    ]
    # 30.02 over 5 paying orders = 6.004 -> 6.00
    assert rows("average_order_value") == [
        {"orders": 11, "revenue": Decimal("30.02"), "average_order_value": Decimal("6.00")}
    ]


def test_an_empty_totals_table_gives_one_empty_average_row(lake_root: Path) -> None:
    write_totals(lake_root, [])
    lake = Lake(str(lake_root))
    crawl_table(lake, DATABASE, "order_totals")

    row_counts = run_summaries(lake, DATABASE, "orders", ORDERS_SQL)

    assert row_counts == {name: int(name == "average_order_value") for name in SUMMARIES}
    average = pq.read_table(lake_root / "enriched" / "orders" / "average_order_value")
    assert average.to_pylist() == [
        {"orders": 0, "revenue": Decimal("0.00"), "average_order_value": None}
    ]
    assert average.schema == pa.schema(
        [
            ("orders", pa.int64()),
            ("revenue", pa.decimal128(38, 2)),
            ("average_order_value", pa.decimal128(38, 2)),
        ]
    )


def test_summary_column_types(lake: Lake, lake_root: Path) -> None:
    run_summaries(lake, DATABASE, "orders", ORDERS_SQL)
    folder = lake_root / "enriched" / "orders"

    assert pq.read_schema(folder / "sales_by_customer" / "part-00000.snappy.parquet") == pa.schema(
        [
            ("customer_id", pa.string()),
            ("orders", pa.int64()),
            ("revenue", pa.decimal128(38, 2)),
            ("first_order_date", pa.date32()),
            ("last_order_date", pa.date32()),
        ]
    )
    assert pq.read_schema(folder / "revenue_by_month" / "part-00000.snappy.parquet") == pa.schema(
        [
            ("order_month", pa.string()),
            ("orders", pa.int64()),
            ("revenue", pa.decimal128(38, 2)),
            ("average_order_value", pa.decimal128(38, 2)),
        ]
    )
    status = pq.read_schema(folder / "status_summary" / "part-00000.snappy.parquet")
    assert status.field("share_of_orders").type == pa.decimal128(38, 4)
    assert status.field("orders").type == pa.int64()
    assert pq.read_schema(
        folder / "average_order_value" / "part-00000.snappy.parquet"
    ) == pa.schema(
        [
            ("orders", pa.int64()),
            ("revenue", pa.decimal128(38, 2)),
            ("average_order_value", pa.decimal128(38, 2)),
        ]
    )


def test_rerun_replaces_results_with_identical_files(lake: Lake, lake_root: Path) -> None:
    run_summaries(lake, DATABASE, "orders", ORDERS_SQL)
    first = enriched_files(lake_root)

    run_summaries(lake, DATABASE, "orders", ORDERS_SQL)

    assert enriched_files(lake_root) == first
    assert sorted(first) == [f"{name}/part-00000.snappy.parquet" for name in SUMMARIES]
    assert sorted(p.name for p in (lake_root / "enriched" / "orders").iterdir()) == list(SUMMARIES)


def test_publish_cleans_up_an_interrupted_earlier_publish(lake_root: Path) -> None:
    lake = Lake(str(lake_root))
    folder = lake_root / "enriched" / "orders" / "s"
    stale = lake_root / "enriched" / "orders" / ".s.dead.tmp"
    stale.mkdir(parents=True)
    (stale / "part-00000.snappy.parquet").write_bytes(b"half")

    publish_result(lake, str(folder), pa.table({"x": [1]}))

    assert sorted(p.name for p in folder.parent.iterdir()) == ["s"]
    assert pq.read_table(folder).to_pylist() == [{"x": 1}]


def test_views_read_the_catalogued_partitions_not_the_folder(lake: Lake, lake_root: Path) -> None:
    write_run(
        lake_root, "2024-03-03", [order("C1", "C009", "2024-03-03", "pending", 1, "1", None, 2)]
    )
    connection = open_catalog_connection(lake, DATABASE)

    result = run_trino_sql(
        connection, "SELECT run_date, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1", DATABASE
    )

    assert result.to_pylist() == [
        {"run_date": "2024-03-01", "n": 6},
        {"run_date": "2024-03-02", "n": 4},
    ]
    assert connection.sql("DESCRIBE lake.orders").fetchall()[-1][:2] == ("run_date", "VARCHAR")


def test_column_added_later_reads_null_in_older_partitions(lake: Lake, lake_root: Path) -> None:
    folder = lake_root / "processed" / "orders" / "run_date=2024-03-03"
    folder.mkdir()
    rows = pa.table(
        {"order_id": ["D1"], "discount": pa.array([Decimal("1.50")], pa.decimal128(12, 2))}
    )
    pq.write_table(rows, folder / "part-00000.snappy.parquet")
    crawl_table(lake, DATABASE, "orders")
    connection = open_catalog_connection(lake, DATABASE)

    result = run_trino_sql(
        connection,
        "SELECT run_date, count(discount) AS n, max(discount) AS d FROM orders "
        "GROUP BY 1 ORDER BY 1",
        DATABASE,
    )

    assert result.to_pylist() == [
        {"run_date": "2024-03-01", "n": 0, "d": None},
        {"run_date": "2024-03-02", "n": 0, "d": None},
        {"run_date": "2024-03-03", "n": 1, "d": Decimal("1.50")},
    ]


def test_unnamed_result_columns_are_named_like_athena(lake: Lake) -> None:
    connection = open_catalog_connection(lake, DATABASE)
    result = run_trino_sql(
        connection, "SELECT status, count(*), max(amount) FROM orders GROUP BY status", DATABASE
    )
    assert result.column_names == ["status", "_col1", "_col2"]


def test_timestamps_read_as_utc_wall_time(lake: Lake) -> None:
    connection = open_catalog_connection(lake, DATABASE)
    result = run_trino_sql(
        connection, "SELECT updated_at FROM orders WHERE order_id = 'B2'", DATABASE
    )
    assert result.column("updated_at").to_pylist() == [datetime(2024, 3, 2, 8, 0)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("CAST(2.01 AS DECIMAL(38, 2)) / 2", Decimal("1.01")),  # half up, like Trino
        ("CAST(-2.01 AS DECIMAL(38, 2)) / 2", Decimal("-1.01")),  # away from zero
        ("CAST(40.01 AS DECIMAL(38, 2)) / 4", Decimal("10.00")),
        ("CAST(1 AS DECIMAL(38, 4)) / 3", Decimal("0.3333")),
        ("CAST(2 AS DECIMAL(38, 4)) / 3", Decimal("0.6667")),
        ("1.5 / 1.25", Decimal("1.20")),  # Trino: scale max(1, 2)
        ("CAST(10 AS DECIMAL(10, 0)) / CAST(4 AS DECIMAL(10, 0))", Decimal("3")),
        ("7 / 2", 3),  # integer division truncates, as in Trino
        ("CAST(1 AS DECIMAL(38, 2)) / nullif(0, 0)", None),
    ],
)
def test_decimal_division_is_trino_exact(expression: str, expected: object) -> None:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA lake")

    result = run_trino_sql(connection, f"SELECT {expression} AS x", DATABASE)

    assert result.column("x").to_pylist() == [expected]


def test_plain_transpile_would_divide_decimals_in_double() -> None:
    """Why the query layer rewrites decimal division: DuckDB alone gives 1.00, not 1.01."""
    sql = "SELECT round(CAST(2.01 AS DECIMAL(38, 2)) / 2, 2)"
    (plain,) = sqlglot.transpile(sql, read="trino", write="duckdb")
    assert duckdb.sql(plain).fetchone()[0] == 1.0


def test_decimal_division_of_unknown_scale_is_flagged(
    lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    connection = open_catalog_connection(lake, DATABASE)
    with caplog.at_level(logging.WARNING, logger="pipeline.query"):
        run_trino_sql(connection, "SELECT sum(amount * 1.5) / count(*) FROM orders", DATABASE)
    assert "runs in DOUBLE on DuckDB" in caplog.text
