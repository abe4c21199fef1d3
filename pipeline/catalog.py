"""The local Glue-shaped catalog: one JSON table definition per table under ``_catalog/``.

``_catalog/<database>/<table>.json`` holds what ``glue.get_table`` returns for a table a
crawler made over Parquet (``Name``, ``StorageDescriptor``, ``PartitionKeys``, …) plus
that table's partitions under ``Partitions`` (on AWS they come from
``glue.get_partitions``). The crawler writes these files; the query layer reads them.
"""

from __future__ import annotations

import json
import posixpath
import uuid
from typing import Any

from pipeline.lake import Lake, safe_relative_key

TableDefinition = dict[str, Any]

# What a Glue crawler records for a Parquet table (Hive's Parquet SerDe and formats).
PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
CATALOG_SUFFIX = ".json"


def table_path(lake: Lake, database: str, table: str) -> str:
    """Where the definition of ``database.table`` lives."""
    return lake.uri("_catalog", safe_relative_key(database), f"{table}{CATALOG_SUFFIX}")


def read_table(lake: Lake, database: str, table: str) -> TableDefinition | None:
    """The stored definition of ``database.table``, or ``None`` when it was never crawled."""
    path = table_path(lake, database, table)
    if not lake.fs.exists(path):
        return None
    with lake.fs.open(path, "r", encoding="utf-8") as stream:
        return json.load(stream)


def list_tables(lake: Lake, database: str) -> list[str]:
    """Names of the catalogued tables of ``database``, sorted."""
    folder = lake.uri("_catalog", safe_relative_key(database))
    if not lake.fs.isdir(folder):
        return []
    names = (posixpath.basename(path) for path in lake.fs.ls(folder, detail=False))
    return sorted(
        name[: -len(CATALOG_SUFFIX)]
        for name in names
        if name.endswith(CATALOG_SUFFIX) and not name.startswith(".")
    )


def serialize_table(definition: TableDefinition) -> str:
    """The exact text stored for a definition: stable, so an unchanged crawl rewrites nothing."""
    return json.dumps(definition, indent=2, ensure_ascii=False) + "\n"


def write_table(lake: Lake, definition: TableDefinition) -> bool:
    """Store ``definition`` atomically (temp file, then rename); ``False`` if already stored.

    Skipping identical content keeps the file byte-identical and its mtime unchanged.
    """
    path = table_path(lake, definition["DatabaseName"], definition["Name"])
    text = serialize_table(definition)
    if lake.fs.exists(path):
        with lake.fs.open(path, "r", encoding="utf-8") as stream:
            if stream.read() == text:
                return False
    lake.fs.makedirs(posixpath.dirname(path), exist_ok=True)
    temp_path = posixpath.join(
        posixpath.dirname(path), f".{posixpath.basename(path)}.{uuid.uuid4().hex}.tmp"
    )
    try:
        with lake.fs.open(temp_path, "w", encoding="utf-8") as stream:
            stream.write(text)
        lake.fs.mv(temp_path, path)
    finally:
        if lake.fs.exists(temp_path):
            lake.fs.rm(temp_path)
    return True


def storage_descriptor(
    columns: list[dict[str, str]], location: str, parameters: dict[str, str]
) -> dict[str, Any]:
    """A ``StorageDescriptor`` as a Glue crawler writes it for Parquet data."""
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": PARQUET_INPUT_FORMAT,
        "OutputFormat": PARQUET_OUTPUT_FORMAT,
        "Compressed": False,
        "NumberOfBuckets": -1,
        "SerdeInfo": {
            "SerializationLibrary": PARQUET_SERDE,
            "Parameters": {"serialization.format": "1"},
        },
        "BucketColumns": [],
        "SortColumns": [],
        "Parameters": parameters,
        "StoredAsSubDirectories": False,
    }


def partition_locations(definition: TableDefinition) -> list[str]:
    """Where a table's data is: each partition's location, or the table's when unpartitioned."""
    if definition.get("PartitionKeys"):
        return [p["StorageDescriptor"]["Location"] for p in definition.get("Partitions", [])]
    return [definition["StorageDescriptor"]["Location"]]
