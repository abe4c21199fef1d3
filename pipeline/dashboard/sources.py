"""Where the dashboard's SQL runs: DuckDB over the local lake, or Athena on the aws target.

Both sources take the same Trino SQL text from :mod:`pipeline.dashboard.data` through one
small interface, :class:`QuerySource`:

- :class:`DuckDBSource` (``local``): the query layer of the local Athena step
  (:func:`pipeline.query.open_catalog_connection`, Trino transpiled to DuckDB by sqlglot in
  :func:`pipeline.query.run_trino_sql`); a summary is a view over the Parquet/CSV files the
  step published to ``enriched/<dataset>/<summary>/``, named ``"enriched/<dataset>/<summary>"``.
- :class:`AthenaSource` (``aws``, ``PIPELINE_TARGET=aws``): ``start_query_execution`` in the
  ``athena_workgroup`` with ``glue_database`` as the default database, polling
  ``get_query_execution``, then ``get_query_results`` page by page; table definitions from
  Glue (``get_table``, ``get_partitions``). On AWS a summary's published result is Athena's
  CSV output, which no Glue table describes, so a summary is its own SQL file run live as
  a subquery over the Glue tables (and views) the athena_summaries step keeps current.

At 1 TB/day on AWS: one page load runs 3 Athena queries per summary (a count, the first
rows, the chart's points) and one per catalogued table (rows per partition, which Parquet
answers from file footers); each summary re-reads the small ``order_totals`` aggregate, not
the processed rows. Results are capped (``MAX_TABLE_ROWS``, ``TOP_N``, ``MAX_LINE_POINTS``),
so memory stays a few hundred rows; ``get_partitions`` lists every partition of a table in
pages (one call per ~1000 partitions: a few calls for years of daily runs).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import pyarrow as pa
from fsspec.core import strip_protocol

from pipeline import catalog
from pipeline.datasets import DatasetSpec
from pipeline.lake import Lake
from pipeline.query import open_catalog_connection, quote_identifier, run_trino_sql

logger = logging.getLogger(__name__)

HIDDEN_PREFIXES = ("_", ".")
QUERY_TIMEOUT_SECONDS = 300.0
POLL_FIRST_SECONDS, POLL_MAX_SECONDS = 0.2, 2.0
RESULTS_PAGE_SIZE = 1000  # get_query_results' maximum


class QuerySource(Protocol):
    """What :class:`pipeline.dashboard.data.DashboardData` reads through."""

    def query(self, sql: str) -> pa.Table:
        """The result of one Trino SQL query."""

    def summary_relation(self, spec: DatasetSpec, summary: str) -> str | None:
        """What to put after ``FROM`` to read ``summary``; None when it is not published."""

    def table_definition(self, name: str) -> catalog.TableDefinition | None:
        """The Glue-shaped definition of a catalogued table (with ``Partitions``), or None."""

    def close(self) -> None: ...


class DuckDBSource:
    """The local lake through the Athena step's query layer (one DuckDB connection)."""

    def __init__(self, lake: Lake, database: str) -> None:
        self.lake = lake
        self.database = database
        self.connection = open_catalog_connection(lake, database)

    def query(self, sql: str) -> pa.Table:
        return run_trino_sql(self.connection, sql, self.database)

    def summary_relation(self, spec: DatasetSpec, summary: str) -> str | None:
        """Create the view ``"enriched/<dataset>/<summary>"`` over the published files."""
        files = self._data_files(self.lake.enriched(spec.name, summary))
        parquet = [f for f in files if not f.lower().endswith((".csv", ".csv.gz"))]
        if parquet:
            source = f"read_parquet([{_literals(parquet)}], union_by_name = true)"
        elif files:
            source = f"read_csv([{_literals(files)}], header = true, union_by_name = true)"
        else:
            return None
        view = quote_identifier(f"enriched/{spec.name}/{summary}")
        self.connection.execute(
            f"CREATE OR REPLACE VIEW {quote_identifier(self.database)}.{view} "
            f"AS SELECT * FROM {source}"
        )
        return view

    def table_definition(self, name: str) -> catalog.TableDefinition | None:
        return catalog.read_table(self.lake, self.database, name)

    def close(self) -> None:
        self.connection.close()

    def _data_files(self, folder: str) -> list[str]:
        fs = self.lake.fs
        if not fs.isdir(folder):
            return []
        root = strip_protocol(folder).rstrip("/")
        files = []
        for path, info in fs.find(root, detail=True).items():
            relative = path[len(root) + 1 :]
            if info.get("size", 0) and not any(
                part.startswith(HIDDEN_PREFIXES) for part in relative.split("/")
            ):
                files.append(path if self.lake.is_local else fs.unstrip_protocol(path))
        return sorted(files)


class AthenaQueryError(RuntimeError):
    """An Athena query that failed, was cancelled or took too long."""


class AthenaSource:
    """The aws target: the same SQL on Athena, table definitions from Glue (boto3)."""

    def __init__(
        self,
        database: str,
        workgroup: str,
        region: str,
        *,
        athena: Any = None,
        glue: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import boto3

        self.database = database
        self.workgroup = workgroup
        self.athena = athena or boto3.client("athena", region_name=region)
        self.glue = glue or boto3.client("glue", region_name=region)
        self._sleep = sleep

    def query(self, sql: str) -> pa.Table:
        execution_id = self.athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": self.database},
            WorkGroup=self.workgroup,
        )["QueryExecutionId"]
        self._wait(execution_id)
        return self._results(execution_id)

    def summary_relation(self, spec: DatasetSpec, summary: str) -> str | None:
        from pipeline.steps.athena import summary_sql_files

        sql = summary_sql_files(spec.sql_dir).get(summary)
        if sql is None:
            return None
        return f"(\n{sql.strip().rstrip(';')}\n) AS {quote_identifier(summary)}"

    def table_definition(self, name: str) -> catalog.TableDefinition | None:
        try:
            table = self.glue.get_table(DatabaseName=self.database, Name=name)["Table"]
        except self.glue.exceptions.EntityNotFoundException:
            return None
        partitions = []
        pages = self.glue.get_paginator("get_partitions").paginate(
            DatabaseName=self.database, TableName=name
        )
        for page in pages:
            partitions += page["Partitions"]
        return {**table, "Partitions": partitions}

    def close(self) -> None:
        """Nothing to release: boto3 clients hold no open query."""

    def _wait(self, execution_id: str) -> None:
        deadline = time.monotonic() + QUERY_TIMEOUT_SECONDS
        delay = POLL_FIRST_SECONDS
        while True:
            status = self.athena.get_query_execution(QueryExecutionId=execution_id)[
                "QueryExecution"
            ]["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return
            if state in ("FAILED", "CANCELLED"):
                reason = status.get("StateChangeReason") or state.lower()
                raise AthenaQueryError(f"Athena query {execution_id} {state.lower()}: {reason}")
            if time.monotonic() > deadline:
                self.athena.stop_query_execution(QueryExecutionId=execution_id)
                raise AthenaQueryError(
                    f"Athena query {execution_id} still {state.lower()} after "
                    f"{QUERY_TIMEOUT_SECONDS:.0f} s: stopped"
                )
            self._sleep(delay)
            delay = min(delay * 2, POLL_MAX_SECONDS)

    def _results(self, execution_id: str) -> pa.Table:
        """All result pages as one table, typed from Athena's column metadata."""
        pages = self.athena.get_paginator("get_query_results").paginate(
            QueryExecutionId=execution_id, PaginationConfig={"PageSize": RESULTS_PAGE_SIZE}
        )
        columns: list[dict] = []
        rows: list[list[str | None]] = []
        for index, page in enumerate(pages):
            result = page["ResultSet"]
            if index == 0:
                columns = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            page_rows = [[d.get("VarCharValue") for d in r.get("Data", [])] for r in result["Rows"]]
            if index == 0 and page_rows and page_rows[0] == [c["Name"] for c in columns]:
                page_rows = page_rows[1:]  # a SELECT's first row repeats the column names
            rows += page_rows
        return athena_table(columns, rows)


def athena_table(columns: list[dict], rows: list[list[str | None]]) -> pa.Table:
    """Athena's text cells as an Arrow table of the types its ``ColumnInfo`` declares."""
    arrays = {}
    for position, column in enumerate(columns):
        arrow_type, parse = _athena_type(column)
        cells = [row[position] if position < len(row) else None for row in rows]
        arrays[column["Name"]] = pa.array(
            [None if cell is None else parse(cell) for cell in cells], arrow_type
        )
    return pa.table(arrays)


_INTEGERS = {"tinyint": pa.int8(), "smallint": pa.int16(), "integer": pa.int32()}


def _athena_type(column: dict) -> tuple[pa.DataType, Callable[[str], Any]]:
    kind = column.get("Type", "varchar").lower()
    if kind in _INTEGERS:
        return _INTEGERS[kind], int
    if kind == "bigint":
        return pa.int64(), int
    if kind in ("double", "float", "real"):
        return pa.float64(), float
    if kind == "decimal":
        precision, scale = column.get("Precision") or 38, column.get("Scale") or 0
        return pa.decimal128(precision, scale), Decimal
    if kind == "boolean":
        return pa.bool_(), lambda cell: cell.lower() == "true"
    if kind == "date":
        return pa.date32(), date.fromisoformat
    return pa.string(), str


def _literals(paths: list[str]) -> str:
    return ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
