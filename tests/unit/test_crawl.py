"""The local Glue crawler: catalog shape, types, partitions and the schema-change policy."""

from __future__ import annotations

import json
import logging
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import catalog
from pipeline.lake import Lake
from pipeline.steps.crawl import CrawlError, UnsupportedTypeError, crawl_table, glue_type
from tests.processed_schemas import ORDERS_SCHEMA

DATABASE = "lake"
TABLE = "orders"

ORDERS_COLUMNS = [
    {"Name": "order_id", "Type": "string"},
    {"Name": "customer_id", "Type": "string"},
    {"Name": "order_date", "Type": "date"},
    {"Name": "status", "Type": "string"},
    {"Name": "quantity", "Type": "int"},
    {"Name": "unit_price", "Type": "decimal(12,2)"},
    {"Name": "country", "Type": "string"},
    {"Name": "updated_at", "Type": "timestamp"},
    {"Name": "amount", "Type": "decimal(14,2)"},
    {"Name": "order_month", "Type": "string"},
    {"Name": "source_key", "Type": "string"},
    {"Name": "source_line", "Type": "int"},
]


def order_row(order_id: str, run_date: str) -> dict[str, object]:
    return {
        "order_id": order_id,
        "customer_id": "C001",
        "order_date": date(2024, 3, 1),
        "status": "shipped",
        "quantity": 2,
        "unit_price": Decimal("4.50"),
        "country": "US",
        "updated_at": datetime.fromisoformat("2024-03-01T10:00:00+00:00"),
        "amount": Decimal("9.00"),
        "order_month": "2024-03",
        "source_key": f"raw/orders/dt={run_date}/orders.csv",
        "source_line": 2,
    }


def write_partition(root: Path, run_date: str, table: pa.Table, table_name: str = TABLE) -> Path:
    """A partition as Spark leaves it: a part file, ``_SUCCESS`` and a ``.crc`` beside it."""
    folder = root / "processed" / table_name / f"run_date={run_date}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-00000-c000.snappy.parquet", compression="snappy")
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / ".part-00000-c000.snappy.parquet.crc").write_bytes(b"crc")
    return folder


def write_orders(root: Path, run_date: str, *order_ids: str) -> Path:
    rows = [order_row(order_id, run_date) for order_id in order_ids]
    return write_partition(root, run_date, pa.Table.from_pylist(rows, schema=ORDERS_SCHEMA))


def catalog_file(root: Path, table: str = TABLE) -> Path:
    return root / "_catalog" / DATABASE / f"{table}.json"


@pytest.fixture
def lake(lake_root: Path) -> Lake:
    return Lake(str(lake_root))


def test_first_crawl_writes_a_glue_shaped_parquet_table(lake: Lake, lake_root: Path) -> None:
    write_orders(lake_root, "2024-03-01", "A1", "A2")
    write_orders(lake_root, "2024-03-02", "B1")

    result = crawl_table(lake, DATABASE, TABLE)

    assert result.table_written and result.changed
    assert (result.partitions, result.partitions_added, result.partitions_removed) == (2, 2, 0)
    assert (result.columns_added, result.columns_changed) == (12, 0)
    definition = json.loads(catalog_file(lake_root).read_text())
    assert definition["Name"] == TABLE
    assert definition["DatabaseName"] == DATABASE
    assert definition["TableType"] == "EXTERNAL_TABLE"
    assert definition["Parameters"]["classification"] == "parquet"
    assert definition["Parameters"]["recordCount"] == "3"
    assert definition["Parameters"]["objectCount"] == "2"  # _SUCCESS and .crc are not data
    assert definition["CreateTime"] == definition["UpdateTime"]
    descriptor = definition["StorageDescriptor"]
    assert descriptor["Columns"] == ORDERS_COLUMNS
    assert descriptor["Location"] == f"{lake_root}/processed/orders/"
    assert descriptor["InputFormat"] == (
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    )
    assert descriptor["OutputFormat"] == (
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    )
    assert descriptor["SerdeInfo"] == {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    }
    assert definition["PartitionKeys"] == [{"Name": "run_date", "Type": "string"}]
    assert definition["Partitions"] == [
        {
            "Values": ["2024-03-01"],
            "StorageDescriptor": {"Location": f"{lake_root}/processed/orders/run_date=2024-03-01/"},
        },
        {
            "Values": ["2024-03-02"],
            "StorageDescriptor": {"Location": f"{lake_root}/processed/orders/run_date=2024-03-02/"},
        },
    ]
    assert catalog.read_table(lake, DATABASE, TABLE) == definition
    assert catalog.list_tables(lake, DATABASE) == [TABLE]


def test_recrawl_without_changes_leaves_the_file_byte_identical(
    lake: Lake, lake_root: Path
) -> None:
    write_orders(lake_root, "2024-03-01", "A1")
    crawl_table(lake, DATABASE, TABLE)
    before = catalog_file(lake_root).read_bytes()
    modified = catalog_file(lake_root).stat().st_mtime_ns

    result = crawl_table(lake, DATABASE, TABLE)

    assert catalog_file(lake_root).read_bytes() == before
    assert catalog_file(lake_root).stat().st_mtime_ns == modified
    assert result.table_written and not result.changed
    assert (result.partitions_added, result.partitions_removed) == (0, 0)
    assert (result.columns_added, result.columns_changed) == (0, 0)
    assert not list(catalog_file(lake_root).parent.glob(".*"))  # no temp files left


def test_new_partition_and_new_column_are_added(lake: Lake, lake_root: Path) -> None:
    write_orders(lake_root, "2024-03-01", "A1")
    crawl_table(lake, DATABASE, TABLE)
    first = json.loads(catalog_file(lake_root).read_text())
    with_discount = ORDERS_SCHEMA.append(pa.field("discount", pa.decimal128(12, 2)))
    rows = [{**order_row("B1", "2024-03-02"), "discount": Decimal("1.00")}]
    write_partition(lake_root, "2024-03-02", pa.Table.from_pylist(rows, schema=with_discount))

    result = crawl_table(lake, DATABASE, TABLE)

    assert result.changed
    assert (result.partitions_added, result.columns_added, result.columns_changed) == (1, 1, 0)
    definition = json.loads(catalog_file(lake_root).read_text())
    assert definition["StorageDescriptor"]["Columns"] == [
        *ORDERS_COLUMNS,
        {"Name": "discount", "Type": "decimal(12,2)"},
    ]
    assert [p["Values"] for p in definition["Partitions"]] == [["2024-03-01"], ["2024-03-02"]]
    assert definition["CreateTime"] == first["CreateTime"]


def test_type_change_is_logged_and_the_new_type_taken(
    lake: Lake, lake_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_partition(lake_root, "2024-03-01", pa.table({"id": pa.array([1], pa.int32())}), "t")
    crawl_table(lake, DATABASE, "t")
    write_partition(lake_root, "2024-03-02", pa.table({"id": pa.array([2], pa.int64())}), "t")

    with caplog.at_level(logging.WARNING, logger="pipeline.steps.crawl"):
        result = crawl_table(lake, DATABASE, "t")

    assert result.columns_changed == 1
    assert "column id changed type int -> bigint" in caplog.text
    definition = catalog.read_table(lake, DATABASE, "t")
    assert definition["StorageDescriptor"]["Columns"] == [{"Name": "id", "Type": "bigint"}]


def test_deleted_partition_is_removed_and_logged(
    lake: Lake, lake_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_orders(lake_root, "2024-03-01", "A1")
    gone = write_orders(lake_root, "2024-03-02", "B1")
    crawl_table(lake, DATABASE, TABLE)
    shutil.rmtree(gone)

    with caplog.at_level(logging.WARNING, logger="pipeline.steps.crawl"):
        result = crawl_table(lake, DATABASE, TABLE)

    assert (result.partitions, result.partitions_removed, result.partitions_added) == (1, 1, 0)
    assert "partition run_date=2024-03-02 is gone" in caplog.text
    definition = json.loads(catalog_file(lake_root).read_text())
    assert [p["Values"] for p in definition["Partitions"]] == [["2024-03-01"]]
    assert definition["StorageDescriptor"]["Columns"] == ORDERS_COLUMNS


def test_empty_table_folder_writes_no_table(lake: Lake, lake_root: Path) -> None:
    folder = lake_root / "processed" / TABLE
    folder.mkdir(parents=True)
    (folder / "_SUCCESS").write_bytes(b"")

    result = crawl_table(lake, DATABASE, TABLE)

    assert not result.table_written and not result.changed
    assert "no table written" in result.message
    assert not catalog_file(lake_root).exists()


def test_table_whose_partitions_all_went_keeps_its_columns(lake: Lake, lake_root: Path) -> None:
    gone = write_orders(lake_root, "2024-03-01", "A1")
    crawl_table(lake, DATABASE, TABLE)
    shutil.rmtree(gone)

    result = crawl_table(lake, DATABASE, TABLE)

    assert result.table_written and result.partitions_removed == 1 and result.partitions == 0
    definition = json.loads(catalog_file(lake_root).read_text())
    assert definition["Partitions"] == []
    assert definition["PartitionKeys"] == [{"Name": "run_date", "Type": "string"}]
    assert definition["StorageDescriptor"]["Columns"] == ORDERS_COLUMNS


def test_spark_temporary_folders_are_not_data(lake: Lake, lake_root: Path) -> None:
    folder = write_orders(lake_root, "2024-03-01", "A1")
    in_flight = lake_root / "processed" / TABLE / "_temporary" / "0"
    in_flight.mkdir(parents=True)
    shutil.copy(folder / "part-00000-c000.snappy.parquet", in_flight / "part-00001.parquet")

    result = crawl_table(lake, DATABASE, TABLE)

    assert result.partitions == 1
    assert catalog.read_table(lake, DATABASE, TABLE)["Parameters"]["objectCount"] == "1"


def test_unpartitioned_table_has_no_partition_keys(lake: Lake, lake_root: Path) -> None:
    folder = lake_root / "processed" / "flat"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"Name": ["x"]}), folder / "part-0.parquet")

    result = crawl_table(lake, DATABASE, "flat")

    definition = catalog.read_table(lake, DATABASE, "flat")
    assert result.partitions == 0
    assert definition["PartitionKeys"] == [] and definition["Partitions"] == []
    assert definition["StorageDescriptor"]["Columns"] == [{"Name": "name", "Type": "string"}]


def write_order_totals(root: Path, *parts: pa.Table) -> Path:
    """``processed/order_totals/`` as a Spark overwrite leaves it: the old files gone, new
    part files (new names each write), ``_SUCCESS`` and ``.crc`` files, no partitions."""
    folder = root / "processed" / "order_totals"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    token = len(list(root.rglob("_SUCCESS")))
    for number, part in enumerate(parts):
        name = f"part-{number:05d}-{token:04d}-c000.snappy.parquet"
        pq.write_table(part, folder / name, compression="snappy")
        (folder / f".{name}.crc").write_bytes(b"crc")
    (folder / "_SUCCESS").write_bytes(b"")
    return folder


def totals_part(*orders: int) -> pa.Table:
    return pa.table(
        {
            "order_date": pa.array([date(2024, 3, 1)] * len(orders)),
            "customer_id": pa.array([f"C{n}" for n in range(len(orders))]),
            "status": pa.array(["shipped"] * len(orders)),
            "order_month": pa.array(["2024-03"] * len(orders)),
            "orders": pa.array(orders, pa.int64()),
            "revenue": pa.array([Decimal("1.00")] * len(orders), pa.decimal128(38, 2)),
        }
    )


def test_the_aggregate_table_is_catalogued_whole_and_follows_each_overwrite(
    lake: Lake, lake_root: Path
) -> None:
    write_orders(lake_root, "2024-03-01", "A1")  # a partitioned sibling under processed/
    write_order_totals(lake_root, totals_part(1, 2), totals_part(3))

    first = crawl_table(lake, DATABASE, "order_totals")

    definition = catalog.read_table(lake, DATABASE, "order_totals")
    assert first.table_written and first.partitions == 0
    assert definition["PartitionKeys"] == [] and definition["Partitions"] == []
    assert definition["StorageDescriptor"]["Location"] == f"{lake_root}/processed/order_totals/"
    assert definition["StorageDescriptor"]["Columns"] == [
        {"Name": "order_date", "Type": "date"},
        {"Name": "customer_id", "Type": "string"},
        {"Name": "status", "Type": "string"},
        {"Name": "order_month", "Type": "string"},
        {"Name": "orders", "Type": "bigint"},
        {"Name": "revenue", "Type": "decimal(38,2)"},
    ]
    assert (definition["Parameters"]["objectCount"], definition["Parameters"]["recordCount"]) == (
        "2",
        "3",
    )
    assert catalog.partition_locations(definition) == [f"{lake_root}/processed/order_totals/"]

    write_order_totals(lake_root, totals_part(4))  # the next run's overwrite
    again = crawl_table(lake, DATABASE, "order_totals")

    definition = catalog.read_table(lake, DATABASE, "order_totals")
    assert again.changed and (again.partitions_added, again.partitions_removed) == (0, 0)
    assert (definition["Parameters"]["objectCount"], definition["Parameters"]["recordCount"]) == (
        "1",
        "1",
    )
    assert catalog.list_tables(lake, DATABASE) == ["order_totals"]


def test_files_outside_the_partition_layout_are_refused(lake: Lake, lake_root: Path) -> None:
    write_orders(lake_root, "2024-03-01", "A1")
    stray = lake_root / "processed" / TABLE / "stray.parquet"
    pq.write_table(pa.table({"x": [1]}), stray)

    with pytest.raises(CrawlError, match="partition keys"):
        crawl_table(lake, DATABASE, TABLE)


@pytest.mark.parametrize(
    ("arrow_type", "expected"),
    [
        (pa.string(), "string"),
        (pa.large_string(), "string"),
        (pa.int8(), "tinyint"),
        (pa.int16(), "smallint"),
        (pa.int32(), "int"),
        (pa.int64(), "bigint"),
        (pa.uint32(), "bigint"),
        (pa.uint64(), "decimal(20,0)"),
        (pa.float32(), "float"),
        (pa.float64(), "double"),
        (pa.bool_(), "boolean"),
        (pa.date32(), "date"),
        (pa.timestamp("ns"), "timestamp"),
        (pa.timestamp("us", tz="UTC"), "timestamp"),
        (pa.decimal128(14, 2), "decimal(14,2)"),
        (pa.binary(), "binary"),
        (pa.dictionary(pa.int32(), pa.string()), "string"),
        (pa.list_(pa.int64()), "array<bigint>"),
        (
            pa.struct([("city", pa.string()), ("tags", pa.list_(pa.string()))]),
            "struct<city:string,tags:array<string>>",
        ),
        (pa.map_(pa.string(), pa.float64()), "map<string,double>"),
    ],
)
def test_glue_type_names(arrow_type: pa.DataType, expected: str) -> None:
    assert glue_type(arrow_type) == expected


def test_types_glue_cannot_name_are_refused() -> None:
    with pytest.raises(UnsupportedTypeError):
        glue_type(pa.time64("us"))
