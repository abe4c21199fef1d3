"""Query the catalogued lake with Athena's SQL (Trino dialect) on DuckDB.

:func:`open_catalog_connection` turns each table of the local catalog into a DuckDB view
that reads exactly the catalogued partitions, typed as the catalog declares them, so a
query sees what Athena would see through Glue. :func:`run_trino_sql` runs Trino SQL on
that connection after transpiling it with sqlglot.

The transpile is type-aware (sqlglot's qualify + annotate_types against the connection's
schema) so that Trino's semantics survive where DuckDB's differ:

- ``integer / integer`` truncates in Trino; DuckDB would divide in floating point
  (sqlglot handles this once it knows the types).
- ``decimal / n`` is exact in Trino (result scale ``max(s1, s2)``, rounded half up);
  DuckDB divides decimals as DOUBLE, which turns 2.01 / 2 into 1.0049999…, so a
  half-cent rounds the wrong way. Such divisions are rewritten into integer arithmetic
  on the unscaled values, which gives Trino's result digit for digit. It applies when
  each operand's scale is known: an explicit ``CAST(… AS DECIMAL(p, s))``, a decimal
  literal, or an integer expression. Other decimal divisions are left as DuckDB does
  them, with a warning.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot
from fsspec.core import strip_protocol
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from pipeline import catalog
from pipeline.lake import Lake

logger = logging.getLogger(__name__)

HIDDEN_PREFIXES = ("_", ".")  # files Hive/Athena skip: _SUCCESS, .crc, _temporary/…
_EXACT_SCALE = "exact_decimal_scale"  # meta key: scale of a rewritten decimal division

# Trino's decimal division on unscaled integers: |q| = floor(|n| / |d| + 1/2), sign applied.
_HALF_UP_DIVIDE_MACRO = """
CREATE OR REPLACE TEMP MACRO trino_divide_half_up(dividend, divisor) AS
    CASE
        WHEN divisor = 0 THEN error('Division by zero')
        ELSE sign(dividend) * sign(divisor)
            * ((2 * abs(dividend) + abs(divisor)) // (2 * abs(divisor)))
    END
"""


def duckdb_type(glue_type: str) -> str:
    """The DuckDB spelling of a Glue/Hive column type (``array<int>`` -> ``INT[]``)."""
    return exp.DataType.build(glue_type, dialect="hive").sql(dialect="duckdb")


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (DuckDB and Trino quote alike)."""
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_catalog_connection(lake: Lake, database: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with schema ``database`` holding one view per catalogued table.

    Each view reads the Parquet files of the catalog's partition locations (listed now),
    with the partition columns taken from the Hive paths, and casts every column to the
    type the catalog declares. A catalogued column absent from every file reads as NULL.
    """
    connection = duckdb.connect()
    _prepare_connection(connection)
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(database)}")
    connection.execute(f"SET search_path = {_quote_literal(database)}")
    for table in catalog.list_tables(lake, database):
        definition = catalog.read_table(lake, database, table)
        if definition is not None:
            connection.execute(_table_view_sql(connection, lake, definition))
    return connection


def _prepare_connection(connection: duckdb.DuckDBPyConnection) -> None:
    """Settings and helpers that make DuckDB answer like Athena."""
    connection.execute("SET TimeZone = 'UTC'")  # Glue ``timestamp`` is UTC wall time
    connection.execute("SET default_null_order = 'nulls_last'")  # Trino's default
    connection.execute(_HALF_UP_DIVIDE_MACRO)


def _table_view_sql(
    connection: duckdb.DuckDBPyConnection, lake: Lake, definition: catalog.TableDefinition
) -> str:
    """``CREATE VIEW`` over the files of the catalogued partitions, cast to catalog types."""
    declared = [
        (column["Name"], column["Type"]) for column in definition["StorageDescriptor"]["Columns"]
    ] + [(key["Name"], key["Type"]) for key in definition.get("PartitionKeys", [])]
    files = _data_files(lake, catalog.partition_locations(definition))
    view = f"{quote_identifier(definition['DatabaseName'])}.{quote_identifier(definition['Name'])}"
    if not files:
        nulls = ", ".join(
            f"CAST(NULL AS {duckdb_type(type_)}) AS {quote_identifier(name)}"
            for name, type_ in declared
        )
        return f"CREATE VIEW {view} AS SELECT {nulls} WHERE false"

    source = (
        f"read_parquet([{', '.join(_quote_literal(f) for f in files)}], "
        "hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"
    )
    present = {name.lower() for name in connection.sql(f"SELECT * FROM {source}").columns}
    projections = ", ".join(
        f"CAST({quote_identifier(name) if name.lower() in present else 'NULL'} "
        f"AS {duckdb_type(type_)}) AS {quote_identifier(name)}"
        for name, type_ in declared
    )
    return f"CREATE VIEW {view} AS SELECT {projections} FROM {source}"


def _data_files(lake: Lake, locations: list[str]) -> list[str]:
    """The data files under each location, skipping hidden and empty files, sorted."""
    files = []
    for location in locations:
        root = strip_protocol(location).rstrip("/")
        if not lake.fs.isdir(root):
            continue
        for path, info in lake.fs.find(root, detail=True).items():
            relative = path[len(root) + 1 :]
            if info.get("size", 0) > 0 and not any(
                part.startswith(HIDDEN_PREFIXES) for part in relative.split("/")
            ):
                files.append(path if lake.is_local else lake.fs.unstrip_protocol(path))
    return sorted(files)


def run_trino_sql(connection: duckdb.DuckDBPyConnection, sql: str, database: str) -> pa.Table:
    """Run Trino-dialect ``sql`` (one or more statements) with ``database`` as the default.

    Returns the result of the last statement (an empty table for DDL such as
    ``CREATE VIEW``).
    """
    _prepare_connection(connection)
    connection.execute(f"SET search_path = {_quote_literal(database)}")
    result = None
    for statement in _parse_trino(sql):
        duckdb_sql = _to_duckdb(statement, _duckdb_schema(connection, database), database)
        logger.debug("DuckDB SQL:\n%s", duckdb_sql)
        result = connection.sql(duckdb_sql)
    return result.to_arrow_table() if result is not None else pa.table({})


def transpile_trino(
    sql: str, schema: dict[str, Any] | None = None, database: str = ""
) -> list[str]:
    """DuckDB SQL for each statement of Trino ``sql``.

    ``schema`` is ``{database: {table: {column: duckdb_type}}}``; with it the transpile
    is type-aware (see the module docstring), without it this is plain
    ``sqlglot.transpile(sql, read="trino", write="duckdb")``.
    """
    return [_to_duckdb(statement, schema, database) for statement in _parse_trino(sql)]


def _parse_trino(sql: str) -> list[exp.Expression]:
    statements = [s for s in sqlglot.parse(sql, read="trino") if s is not None]
    return [_name_unnamed_columns(statement) for statement in statements]


def _name_unnamed_columns(statement: exp.Expression) -> exp.Expression:
    """Name unaliased result expressions ``_col<position>``, as Athena/Trino does."""
    if isinstance(statement, exp.Select):
        for position, projection in enumerate(statement.expressions):
            if not isinstance(projection, (exp.Alias, exp.Column, exp.Star)):
                projection.replace(exp.alias_(projection.copy(), f"_col{position}"))
    return statement


def _duckdb_schema(connection: duckdb.DuckDBPyConnection, database: str) -> dict[str, Any]:
    """``{database: {table: {column: type}}}`` of the tables and views in ``database``."""
    rows = connection.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
        [database],
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type
    return {database: tables} if tables else {}


def _to_duckdb(statement: exp.Expression, schema: dict[str, Any] | None, database: str) -> str:
    if schema is None or not database:
        return statement.sql(dialect="duckdb")
    try:
        mapping = MappingSchema(schema, dialect="duckdb")
        typed = qualify(statement.copy(), schema=mapping, db=database, dialect="trino")
        typed = annotate_types(typed, schema=mapping, dialect="trino")
    except (SqlglotError, KeyError, ValueError) as error:
        logger.warning("untyped transpile (Trino division semantics not kept): %s", error)
        return statement.sql(dialect="duckdb")
    return _exact_decimal_divisions(typed).sql(dialect="duckdb")


def _exact_decimal_divisions(expression: exp.Expression) -> exp.Expression:
    """Rewrite each decimal division whose operand scales are known into exact arithmetic."""
    for division in reversed(list(expression.find_all(exp.Div))):  # innermost first
        left, right = _exact_operand(division.this), _exact_operand(division.expression)
        if left is None or right is None or not (left[1] or right[1]):
            if _is_decimal(division.this) or _is_decimal(division.expression):
                logger.warning(
                    "decimal division %s runs in DOUBLE on DuckDB: CAST its operands to "
                    "DECIMAL(p, s) to get Trino's exact result",
                    division.sql(dialect="trino"),
                )
            continue
        division.replace(_half_up_quotient(division.this, left, division.expression, right))
    return expression


def _exact_operand(node: exp.Expression) -> tuple[int, bool] | None:
    """``(scale, is_decimal)`` when ``node`` is an exact number of known scale, else None."""
    while isinstance(node, exp.Paren):
        node = node.this
    if _EXACT_SCALE in node.meta:
        return node.meta[_EXACT_SCALE], True
    if isinstance(node, (exp.Cast, exp.TryCast)) and node.to.is_type(exp.DataType.Type.DECIMAL):
        params = node.to.expressions
        if len(params) == 2:
            return int(params[1].name), True
        return None  # bare DECIMAL means (38,0) in Trino but (18,3) in DuckDB
    if isinstance(node, exp.Literal) and node.is_number:
        text = node.name.lower()
        if "e" not in text and "." in text:
            return len(text.split(".", 1)[1]), True
    if node.type is not None and node.type.is_type(*exp.DataType.INTEGER_TYPES):
        return 0, False
    return None


def _is_decimal(node: exp.Expression) -> bool:
    return node.type is not None and node.type.is_type(exp.DataType.Type.DECIMAL)


def _half_up_quotient(
    dividend: exp.Expression,
    dividend_kind: tuple[int, bool],
    divisor: exp.Expression,
    divisor_kind: tuple[int, bool],
) -> exp.Expression:
    """Trino's ``dividend / divisor`` as DuckDB integer arithmetic on unscaled values.

    With scales s1, s2 the result scale is s = max(s1, s2) and its unscaled value is
    round_half_up(dividend * 10^(s + s2) / (divisor * 10^s2)); both products are whole.
    """
    (s1, dividend_is_decimal), (s2, divisor_is_decimal) = dividend_kind, divisor_kind
    scale = max(s1, s2)
    numerator = _unscaled(dividend, scale + s2, dividend_is_decimal)
    denominator = _unscaled(divisor, s2, divisor_is_decimal)
    quotient = exp.cast(
        exp.func("trino_divide_half_up", numerator, denominator),
        exp.DataType.build("DECIMAL(38, 0)"),
    )
    result = quotient if scale == 0 else exp.Mul(this=quotient, expression=_unit(scale))
    result = exp.paren(result, copy=False)
    result.meta[_EXACT_SCALE] = scale
    return result


def _unscaled(value: exp.Expression, exponent: int, is_decimal: bool) -> exp.Expression:
    """``value * 10^exponent`` as HUGEINT; a decimal is scaled first so the cast is exact."""
    factor = exp.Literal.number(10**exponent)
    hugeint = exp.DataType.build("HUGEINT")
    value = exp.paren(value.copy(), copy=False)
    if is_decimal:
        return exp.cast(exp.Mul(this=value, expression=factor) if exponent else value, hugeint)
    scaled = exp.cast(value, hugeint)
    return exp.Mul(this=scaled, expression=factor) if exponent else scaled


def _unit(scale: int) -> exp.Expression:
    """The decimal literal 10^-scale (``0.01`` for scale 2), DECIMAL(scale + 1, scale)."""
    return exp.Literal.number("0." + "0" * (scale - 1) + "1")
