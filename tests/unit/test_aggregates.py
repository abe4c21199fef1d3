"""``glue_lib.aggregates.order_totals`` on the shared SparkSession.

The history is written as the orders job leaves ``processed/orders`` (one Parquet part per
``run_date=D`` partition, the processed Arrow schema) and read back with
``spark.read.parquet``, as the job will. The table is then written the way the job writes
it (``mode("overwrite")`` to ``processed/order_totals``), crawled, and the real summary
SQL run over it: the results must be those of the hand-computed and the oracle summaries.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from glue_lib.aggregates import COLUMNS, latest_versions, order_totals
from oracle.orders_oracle import Order, summarize
from oracle.orders_oracle import order_totals as oracle_totals
from pyspark.sql import types as T

from pipeline.datasets import get_dataset
from pipeline.lake import Lake
from pipeline.steps.athena import run_summaries
from pipeline.steps.crawl import crawl_table
from tests.processed_schemas import ORDERS_SCHEMA

DATABASE = "lake"
ORDERS_SQL = get_dataset("orders").sql_dir
T1 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2024, 3, 2, 9, 0, tzinfo=UTC)


def row(
    order_id: str,
    customer_id: str = "C1",
    order_date: date = date(2024, 3, 1),
    status: str = "pending",
    amount: str = "10.00",
    updated_at: datetime | None = T1,
    source_key: str = "raw/orders/a.csv",
    source_line: int = 2,
    quantity: int = 1,
) -> dict:
    price = Decimal(amount) / quantity
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "order_date": order_date,
        "status": status,
        "quantity": quantity,
        "unit_price": price,
        "country": "US",
        "updated_at": updated_at,
        "amount": Decimal(amount),
        "order_month": order_date.strftime("%Y-%m"),
        "source_key": source_key,
        "source_line": source_line,
    }


def write_history(root: Path, runs: dict[str, list[dict]]) -> str:
    """``processed/orders`` with one partition per run date; returns the table's path."""
    table = root / "processed" / "orders"
    for run_date, rows in runs.items():
        folder = table / f"run_date={run_date}"
        folder.mkdir(parents=True)
        pq.write_table(
            pa.Table.from_pylist(rows, schema=ORDERS_SCHEMA),
            folder / "part-00000-c000.snappy.parquet",
        )
        (folder / "_SUCCESS").write_bytes(b"")
    return str(table)


def totals(spark, root: Path, runs: dict[str, list[dict]]) -> list[tuple]:
    result = order_totals(spark.read.parquet(write_history(root, runs)))
    return sorted(tuple(r) for r in result.collect())


def test_a_later_run_moves_an_order_to_its_new_status_and_date(spark, tmp_path):
    runs = {
        "2024-03-01": [
            row("A1", status="pending", amount="10.00"),
            row("A2", status="pending", amount="5.00", source_line=3),
            row("A3", customer_id="C2", order_date=date(2024, 3, 2), status="shipped"),
        ],
        "2024-03-02": [
            row("A1", status="shipped", amount="10.00", updated_at=T2),  # status change
            row("A2", order_date=date(2024, 4, 3), amount="5.00", updated_at=T2),  # new date
        ],
    }

    assert totals(spark, tmp_path, runs) == [
        # (2024-03-01, C1, pending) lost both orders: no row at all
        (date(2024, 3, 1), "C1", "shipped", "2024-03", 1, Decimal("10.00")),
        (date(2024, 3, 2), "C2", "shipped", "2024-03", 1, Decimal("10.00")),
        (date(2024, 4, 3), "C1", "pending", "2024-04", 1, Decimal("5.00")),
    ]


def test_the_latest_version_is_chosen_as_the_orders_latest_view_did(spark, tmp_path):
    later_key = "raw/orders/b.csv"
    runs = {
        "2024-03-01": [
            row("timestamp_beats_null", status="delivered", updated_at=T1),
            row("newer_timestamp", status="pending", updated_at=T2),
            row("later_run", status="pending", updated_at=T1),
            row("both_null", status="pending", updated_at=None),
        ],
        "2024-03-02": [
            row("timestamp_beats_null", status="cancelled", updated_at=None),
            row("newer_timestamp", status="shipped", updated_at=T1),
            row("later_run", status="shipped", updated_at=T1),
            row("both_null", status="shipped", updated_at=None),
            # one run never holds two versions, but the order is total all the same
            row("same_run", status="pending", source_key=later_key, source_line=2),
            row("same_run", status="shipped", source_key=later_key, source_line=9),
            row("same_run", status="returned", source_key="raw/orders/a.csv", source_line=99),
        ],
    }
    history = spark.read.parquet(write_history(tmp_path, runs))

    latest = {r["order_id"]: r["status"] for r in latest_versions(history).collect()}

    assert latest == {
        "timestamp_beats_null": "delivered",  # a version without updated_at loses
        "newer_timestamp": "pending",  # newest updated_at, whatever the run
        "later_run": "shipped",  # same updated_at: the later run
        "both_null": "shipped",
        "same_run": "shipped",  # then the later source_key, then the later line
    }


def test_every_order_counts_and_cancelled_or_returned_add_no_revenue(spark, tmp_path):
    day = date(2024, 3, 1)
    runs = {
        "2024-03-01": [
            row("P1", amount="0.10"),
            row("P2", amount="0.20"),
            row("P3", amount="999999999999.00", quantity=100),  # the largest amounts
            row("X1", status="cancelled", amount="7.00"),
            row("X2", status="cancelled", amount="8.00"),
            row("R1", status="returned", amount="9.00"),
        ]
    }

    assert totals(spark, tmp_path, runs) == [
        (day, "C1", "cancelled", "2024-03", 2, Decimal("0.00")),
        (day, "C1", "pending", "2024-03", 3, Decimal("999999999999.30")),  # exact
        (day, "C1", "returned", "2024-03", 1, Decimal("0.00")),
    ]


def test_columns_and_types(spark, tmp_path):
    history = spark.read.parquet(write_history(tmp_path, {"2024-03-01": [row("A1")]}))

    schema = order_totals(history).schema

    assert tuple(schema.names) == COLUMNS
    assert [f.dataType for f in schema.fields] == [
        T.DateType(),
        T.StringType(),
        T.StringType(),
        T.StringType(),
        T.LongType(),
        T.DecimalType(38, 2),
    ]


# --- the table as the job writes it, read by the summaries ------------------------------------


def publish_totals(spark, root: Path) -> Lake:
    """The job's two lines, then the crawl of both tables, as a run does."""
    lake_root = str(root)
    order_totals(spark.read.parquet(f"{lake_root}/processed/orders")).write.mode(
        "overwrite"
    ).parquet(f"{lake_root}/processed/order_totals")
    lake = Lake(lake_root)
    for table in get_dataset("orders").tables:
        crawl_table(lake, DATABASE, table)
    return lake


def summaries(root: Path) -> dict[str, list[dict]]:
    return {
        name: pq.read_table(root / "enriched" / "orders" / name).to_pylist()
        for name in get_dataset("orders").summaries
    }


def test_summaries_over_the_written_table_match_the_hand_computed_ones(spark, lake_root):
    from tests.unit.test_athena_sql import EXPECTED, FIRST_RUN, SECOND_RUN, write_run

    write_run(lake_root, "2024-03-01", FIRST_RUN)
    write_run(lake_root, "2024-03-02", SECOND_RUN)
    lake = publish_totals(spark, lake_root)

    run_summaries(lake, DATABASE, "orders", ORDERS_SQL)

    assert summaries(lake_root) == EXPECTED
    definition = lake_root / "_catalog" / DATABASE / "order_totals.json"
    assert '"PartitionKeys": []' in definition.read_text()
    written = pq.read_schema(next((lake_root / "processed/order_totals").glob("part-*.parquet")))
    assert [(f.name, f.type) for f in written] == [
        ("order_date", pa.date32()),
        ("customer_id", pa.string()),
        ("status", pa.string()),
        ("order_month", pa.string()),
        ("orders", pa.int64()),
        ("revenue", pa.decimal128(38, 2)),
    ]


def random_history(seed: int, runs: int, rows: int) -> dict[str, list[dict]]:
    """Runs whose orders keep coming back: new statuses, dates, amounts and timestamps."""
    rng = random.Random(seed)
    statuses = ("pending", "shipped", "delivered", "cancelled", "returned")
    history = {}
    for number in range(runs):
        run_date = date(2024, 3, 1) + timedelta(days=number)
        ids = rng.sample(range(rows * 2), rows)  # one version per order in a run
        history[run_date.isoformat()] = [
            row(
                f"O{order:05d}",
                customer_id=f"C{rng.randrange(12):03d}",
                order_date=date(2024, 1, 1) + timedelta(days=rng.randrange(30)),
                status=rng.choice(statuses),
                amount=f"{rng.randrange(0, 100000) / 100:.2f}",
                updated_at=None
                if rng.random() < 0.3
                else datetime(2024, 3, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(24 * 5)),
                source_key=f"raw/orders/dt={run_date}/orders_{rng.randrange(3)}.csv",
                source_line=line + 2,
            )
            for line, order in enumerate(ids)
        ]
    return history


def test_summaries_over_the_table_match_the_oracle_on_a_churning_history(spark, lake_root):
    history = random_history(seed=5, runs=4, rows=1500)
    write_history(lake_root, history)
    lake = publish_totals(spark, lake_root)
    latest: dict[str, tuple] = {}  # the contract's order, independently of the SQL view
    for run_date, rows in history.items():
        for r in rows:
            rank = (r["updated_at"] or datetime.min.replace(tzinfo=UTC), run_date)
            rank += (r["source_key"], r["source_line"])
            if r["order_id"] not in latest or rank > latest[r["order_id"]][0]:
                latest[r["order_id"]] = (rank, r)
    orders = [
        Order(**{k: v for k, v in r.items() if k in Order.__dataclass_fields__})
        for _, r in latest.values()
    ]

    run_summaries(lake, DATABASE, "orders", ORDERS_SQL)

    assert summaries(lake_root) == summarize(orders)
    table = pq.read_table(lake_root / "processed" / "order_totals").to_pylist()
    key = ("order_date", "customer_id", "status")
    assert sorted(table, key=lambda r: tuple(r[k] for k in key)) == oracle_totals(orders)
    assert len(table) < len(orders)  # rows of several orders occur


def test_an_empty_history_gives_an_empty_table_and_the_empty_summaries(spark, lake_root):
    write_history(lake_root, {"2024-03-01": []})
    lake = publish_totals(spark, lake_root)

    run_summaries(lake, DATABASE, "orders", ORDERS_SQL)

    assert pq.read_table(lake_root / "processed" / "order_totals").num_rows == 0
    assert summaries(lake_root) == summarize([])


def test_each_run_replaces_the_whole_table(spark, lake_root):
    write_history(lake_root, {"2024-03-01": [row("A1"), row("A2", status="shipped")]})
    publish_totals(spark, lake_root)
    write_history(lake_root, {"2024-03-02": [row("A1", status="shipped", updated_at=T2)]})

    publish_totals(spark, lake_root)

    table = pq.read_table(lake_root / "processed" / "order_totals")
    assert table.select(["status", "orders"]).to_pylist() == [{"status": "shipped", "orders": 2}]
    assert not list((lake_root / "processed" / "order_totals").glob("run_date=*"))
