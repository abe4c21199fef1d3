"""The local Glue crawler: Parquet schemas and Hive partitions into the local catalog.

It does what the AWS crawler does for ``processed/<table>/`` with the schema-change
policy ``UpdateBehavior=UPDATE_IN_DATABASE`` and ``DeleteBehavior=LOG``: new columns are
added, a changed type is logged and replaced, columns no longer found are kept (and
logged), partitions whose folder is gone are removed (and logged). Only Parquet footers
are read. A crawl that finds nothing new leaves the catalog file byte-identical.

A table whose files sit directly in ``processed/<table>/`` (an aggregate such as
``order_totals``, which the job overwrites whole each run) is catalogued unpartitioned: no
partition keys, and queries read the table's location.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.core import strip_protocol

from pipeline import catalog
from pipeline.lake import Lake

logger = logging.getLogger(__name__)

# Hadoop, Hive, Spark and Athena skip these: _SUCCESS, _temporary/, .crc, .spark-staging…
HIDDEN_PREFIXES = ("_", ".")
PARTITION_KEY_TYPE = "string"


class CrawlError(RuntimeError):
    """The table folder cannot be described as one Parquet table."""


class UnsupportedTypeError(CrawlError):
    """A Parquet column has a type the Glue/Hive type system has no name for."""


@dataclass(frozen=True)
class CrawlResult:
    """What one crawl of one table found and changed."""

    database: str
    table: str
    table_written: bool
    changed: bool
    partitions: int = 0
    partitions_added: int = 0
    partitions_removed: int = 0
    columns_added: int = 0
    columns_changed: int = 0
    message: str = ""


@dataclass
class _Scan:
    """The table as found in storage: merged schema, partitions and sizes."""

    columns: dict[str, str] = field(default_factory=dict)
    partition_keys: list[str] = field(default_factory=list)
    partitions: dict[tuple[str, ...], str] = field(default_factory=dict)
    object_count: int = 0
    record_count: int = 0
    size_bytes: int = 0


def glue_type(arrow_type: pa.DataType) -> str:
    """The Glue/Hive type name a crawler gives a Parquet column of this Arrow type."""
    t = arrow_type
    if pa.types.is_dictionary(t):
        return glue_type(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return _integer_type(t)
    if pa.types.is_float16(t) or pa.types.is_float32(t):
        return "float"
    if pa.types.is_float64(t):
        return "double"
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return "binary"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return f"array<{glue_type(t.value_type)}>"
    if pa.types.is_map(t):
        return f"map<{glue_type(t.key_type)},{glue_type(t.item_type)}>"
    if pa.types.is_struct(t):
        fields = ",".join(f"{f.name}:{glue_type(f.type)}" for f in t)
        return f"struct<{fields}>"
    raise UnsupportedTypeError(f"no Glue type for Arrow type {t}")


def _integer_type(t: pa.DataType) -> str:
    """Signed widths map directly; unsigned ones to the next signed type that holds them."""
    width = t.bit_width + (1 if pa.types.is_unsigned_integer(t) else 0)
    if width <= 8:
        return "tinyint"
    if width <= 16:
        return "smallint"
    if width <= 32:
        return "int"
    if width <= 64:
        return "bigint"
    return "decimal(20,0)"


def crawl_table(lake: Lake, database: str, table: str) -> CrawlResult:
    """Crawl ``processed/<table>/`` into ``_catalog/<database>/<table>.json``."""
    location = lake.processed(table)
    scan = _scan_table(lake, location)
    existing = catalog.read_table(lake, database, table)

    if not scan.object_count and existing is None:
        message = f"no Parquet data under {location}: no table written for {database}.{table}"
        logger.warning(message)
        return CrawlResult(database, table, table_written=False, changed=False, message=message)

    previous_columns = (
        {c["Name"]: c["Type"] for c in existing["StorageDescriptor"]["Columns"]} if existing else {}
    )
    columns, added, changed = _merge_columns(previous_columns, scan.columns, database, table)
    partition_keys = scan.partition_keys or (
        [k["Name"] for k in existing["PartitionKeys"]] if existing else []
    )
    previous_partitions = {
        tuple(p["Values"]): p["StorageDescriptor"]["Location"]
        for p in (existing or {}).get("Partitions", [])
    }
    partitions_added = sorted(set(scan.partitions) - set(previous_partitions))
    partitions_removed = sorted(set(previous_partitions) - set(scan.partitions))
    for values in partitions_removed:
        logger.warning(
            "%s.%s: partition %s is gone from storage; removed from the catalog",
            database,
            table,
            _partition_name(partition_keys, values),
        )

    definition = _table_definition(database, table, location, columns, partition_keys, scan)
    changed_definition = existing is None or _without_times(existing) != _without_times(definition)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    definition["CreateTime"] = existing["CreateTime"] if existing else now
    definition["UpdateTime"] = now if changed_definition else existing["UpdateTime"]
    catalog.write_table(lake, definition)

    message = (
        f"{database}.{table}: {len(scan.partitions)} partitions "
        f"(+{len(partitions_added)} -{len(partitions_removed)}), "
        f"{len(columns)} columns (+{added} ~{changed})"
        + ("" if changed_definition else ", unchanged")
    )
    logger.info(message)
    return CrawlResult(
        database,
        table,
        table_written=True,
        changed=changed_definition,
        partitions=len(scan.partitions),
        partitions_added=len(partitions_added),
        partitions_removed=len(partitions_removed),
        columns_added=added,
        columns_changed=changed,
        message=message,
    )


def _scan_table(lake: Lake, location: str) -> _Scan:
    """List the data files, derive partitions from their folders, read their footers."""
    scan = _Scan()
    if not lake.fs.isdir(location):
        return scan
    root = strip_protocol(location).rstrip("/")
    found = lake.fs.find(root, detail=True)
    data_files = sorted(
        (path, info)
        for path, info in found.items()
        if info.get("type") == "file"
        and info.get("size", 0) > 0
        and not _is_hidden(posixpath.relpath(path, root))
    )
    files_by_partition: dict[tuple[str, ...], list[str]] = {}
    for path, info in data_files:
        folder = posixpath.dirname(posixpath.relpath(path, root))
        keys, values = _parse_partition_folder(folder)
        if not scan.object_count:
            scan.partition_keys = keys
        elif keys != scan.partition_keys:
            raise CrawlError(
                f"{location}: {path} is under partition keys {keys}, "
                f"other files under {scan.partition_keys}"
            )
        if values:
            scan.partitions[values] = posixpath.join(location, folder) + "/"
        files_by_partition.setdefault(values, []).append(path)
        scan.object_count += 1
        scan.size_bytes += int(info["size"])

    for values in sorted(files_by_partition):  # later partitions win a type conflict
        for path in files_by_partition[values]:
            schema, rows = _read_footer(lake, path)
            scan.record_count += rows
            for column in schema:
                name = column.name.lower()
                if name in scan.partition_keys:
                    continue
                scan.columns[name] = glue_type(column.type)
    return scan


def _is_hidden(relative_path: str) -> bool:
    return any(part.startswith(HIDDEN_PREFIXES) for part in relative_path.split("/"))


def _parse_partition_folder(folder: str) -> tuple[list[str], tuple[str, ...]]:
    """``a=1/b=x`` -> (["a", "b"], ("1", "x")); Hive escapes values with ``%XX``."""
    if folder in ("", "."):
        return [], ()
    keys, values = [], []
    for part in folder.split("/"):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise CrawlError(f"folder {folder!r} is not a Hive partition path (key=value/…)")
        keys.append(unquote(key).lower())
        values.append(unquote(value))
    return keys, tuple(values)


def _read_footer(lake: Lake, path: str) -> tuple[pa.Schema, int]:
    """The Arrow schema and row count from a Parquet footer (no data pages read)."""
    try:
        with lake.fs.open(path, "rb") as stream:
            parquet_file = pq.ParquetFile(stream)
            return parquet_file.schema_arrow, parquet_file.metadata.num_rows
    except pa.ArrowInvalid as error:
        raise CrawlError(f"{path} is not a Parquet file: {error}") from error


def _merge_columns(
    previous: dict[str, str], found: dict[str, str], database: str, table: str
) -> tuple[list[dict[str, str]], int, int]:
    """Catalogued columns updated with the found ones: (columns, added, changed)."""
    merged = dict(previous)
    added = changed = 0
    for name, found_type in found.items():
        if name not in merged:
            if previous:
                logger.info("%s.%s: new column %s %s", database, table, name, found_type)
            added += 1
        elif merged[name] != found_type:
            logger.warning(
                "%s.%s: column %s changed type %s -> %s",
                database,
                table,
                name,
                merged[name],
                found_type,
            )
            changed += 1
        merged[name] = found_type
    for name in previous.keys() - found.keys():
        logger.info("%s.%s: column %s not found in the data; kept", database, table, name)
    return [{"Name": name, "Type": type_} for name, type_ in merged.items()], added, changed


def _table_definition(
    database: str,
    table: str,
    location: str,
    columns: list[dict[str, str]],
    partition_keys: list[str],
    scan: _Scan,
) -> catalog.TableDefinition:
    """The Glue ``Table`` (plus its ``Partitions``) a crawler writes for this scan."""
    parameters = {
        "classification": "parquet",
        "compressionType": "none",
        "typeOfData": "file",
        "CrawlerSchemaDeserializerVersion": "1.0",
        "CrawlerSchemaSerializerVersion": "1.0",
        "objectCount": str(scan.object_count),
        "recordCount": str(scan.record_count),
        "sizeKey": str(scan.size_bytes),
        "averageRecordSize": str(scan.size_bytes // scan.record_count if scan.record_count else 0),
    }
    return {
        "Name": table,
        "DatabaseName": database,
        "TableType": "EXTERNAL_TABLE",
        "CreateTime": None,
        "UpdateTime": None,
        "Retention": 0,
        "Parameters": parameters,
        "StorageDescriptor": catalog.storage_descriptor(columns, location + "/", dict(parameters)),
        "PartitionKeys": [{"Name": key, "Type": PARTITION_KEY_TYPE} for key in partition_keys],
        "Partitions": [
            {"Values": list(values), "StorageDescriptor": {"Location": scan.partitions[values]}}
            for values in sorted(scan.partitions)
        ],
    }


def _without_times(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in definition.items() if k not in ("CreateTime", "UpdateTime")}


def _partition_name(keys: list[str], values: tuple[str, ...]) -> str:
    return "/".join(f"{k}={v}" for k, v in zip(keys, values, strict=False))
