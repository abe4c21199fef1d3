"""Load step: a run's processed records upserted into PostgreSQL (RDS for PostgreSQL on AWS).

For a dataset that declares a ``postgres`` sink (``DatasetSpec.sinks``), after the Glue job
wrote and Great Expectations validated ``processed/<table>/run_date=D/``: the partitions are
read with pyarrow (a local folder or ``s3://``, through :class:`pipeline.lake.Lake`) and
loaded in **one transaction**:

1. create the tables if missing (primary keys: ``invoices(invoice_number)``,
   ``invoice_lines(invoice_number, line_number)``, lines reference their invoice);
2. ``COPY`` the run's rows into temporary staging tables;
3. pick the *winners*: staged invoices at least as new as the stored version, by
   ``(run_date, file_order)`` -- the later run date wins, within a run the later landing.
   So a backfill or re-run of an older date never overwrites a newer version;
4. ``INSERT ... ON CONFLICT (key) DO UPDATE`` the winners' headers, then delete the stored
   lines of a winner that its new version no longer has, then upsert the winners' lines.
   Updates only touch rows whose values differ (``IS DISTINCT FROM``), so re-running a
   date writes nothing at all.

A transaction-scoped advisory lock serialises concurrent loads of the same dataset.
The tables are described once (:data:`SINKS`); DDL and upserts are generated from that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.dataset as pads

from ..lake import Lake

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Table:
    """A target table: columns ``(name, PostgreSQL type)`` in COPY order and its key."""

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    parent: str | None = None  # lines: the header table their key starts with

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def values(self) -> tuple[str, ...]:
        """Non-key columns: what an upsert updates."""
        return tuple(name for name in self.names if name not in self.key)


@dataclass(frozen=True)
class Sink:
    """A header table, its line table (replaced per header key) and the version columns."""

    dataset: str
    header: Table
    lines: Table
    version: tuple[str, ...] = ("run_date", "file_order")


INVOICES = Table(
    name="invoices",
    columns=(
        ("invoice_number", "text NOT NULL"),
        ("invoice_date", "date NOT NULL"),
        ("customer_id", "text NOT NULL"),
        ("customer_name", "text"),
        ("currency", "text NOT NULL"),
        ("subtotal", "numeric(14,2) NOT NULL"),
        ("tax", "numeric(14,2) NOT NULL"),
        ("total", "numeric(14,2) NOT NULL"),
        ("line_count", "integer NOT NULL"),
        ("invoice_month", "text NOT NULL"),
        ("source_key", "text NOT NULL"),
        ("file_order", "integer NOT NULL"),
        ("run_date", "date NOT NULL"),
    ),
    key=("invoice_number",),
)
INVOICE_LINES = Table(
    name="invoice_lines",
    columns=(
        ("invoice_number", "text NOT NULL"),
        ("line_number", "integer NOT NULL"),
        ("sku", "text"),
        ("description", "text"),
        ("quantity", "numeric(12,3) NOT NULL"),
        ("unit_price", "numeric(14,4) NOT NULL"),
        ("amount", "numeric(14,2) NOT NULL"),
        ("source_key", "text NOT NULL"),
        ("source_line", "integer NOT NULL"),
    ),
    key=("invoice_number", "line_number"),
    parent="invoices",
)
SINKS = {"invoices": Sink(dataset="invoices", header=INVOICES, lines=INVOICE_LINES)}


def sink_for(dataset: str) -> Sink:
    try:
        return SINKS[dataset]
    except KeyError:
        raise ValueError(f"dataset {dataset!r} has no PostgreSQL sink") from None


# --- SQL --------------------------------------------------------------------------------------


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _list(names, prefix: str = "") -> str:
    return ", ".join(f"{prefix}{_ident(n)}" for n in names)


def create_table_sql(table: Table) -> str:
    columns = [f"{_ident(name)} {type_}" for name, type_ in table.columns]
    if table.parent is None:
        columns.append("loaded_at timestamptz NOT NULL DEFAULT now()")
    columns.append(f"PRIMARY KEY ({_list(table.key)})")
    if table.parent is not None:
        parent_key = table.key[:1]
        columns.append(
            f"FOREIGN KEY ({_list(parent_key)}) REFERENCES {_ident(table.parent)} "
            f"({_list(parent_key)}) ON DELETE CASCADE"
        )
    body = ",\n    ".join(columns)
    return f"CREATE TABLE IF NOT EXISTS {_ident(table.name)} (\n    {body}\n)"


def stage_name(table: Table) -> str:
    return f"stage_{table.name}"


def upsert_sql(table: Table, winners: str) -> str:
    """Upsert the staged rows of the winners; only rows whose values change are updated.

    ``RETURNING (xmax = 0)`` is true for an inserted row, false for an updated one.
    """
    sets = [f"{_ident(n)} = EXCLUDED.{_ident(n)}" for n in table.values]
    if table.parent is None:
        sets.append("loaded_at = now()")
    target = _ident(table.name)
    return (
        f"INSERT INTO {target} ({_list(table.names)}) "
        f"SELECT {_list(table.names, 's.')} FROM {_ident(stage_name(table))} AS s "
        f"JOIN {winners} AS w USING ({_ident(table.key[0])}) "
        f"ON CONFLICT ({_list(table.key)}) DO UPDATE SET {', '.join(sets)} "
        f"WHERE ({_list(table.values, f'{target}.')}) "
        f"IS DISTINCT FROM ({_list(table.values, 'EXCLUDED.')}) "
        "RETURNING (xmax = 0) AS inserted"
    )


def winners_sql(sink: Sink, winners: str) -> str:
    """Staged headers at least as new as the stored version (or not stored yet)."""
    key = _ident(sink.header.key[0])
    newer = f"({_list(sink.version, 's.')}) >= ({_list(sink.version, 't.')})"
    return (
        f"CREATE TEMP TABLE {winners} ON COMMIT DROP AS "
        f"SELECT s.{key} FROM {_ident(stage_name(sink.header))} AS s "
        f"LEFT JOIN {_ident(sink.header.name)} AS t USING ({key}) "
        f"WHERE t.{key} IS NULL OR {newer}"
    )


def delete_stale_lines_sql(sink: Sink, winners: str) -> str:
    """Lines of a winning invoice that its new version no longer has."""
    lines, stage = _ident(sink.lines.name), _ident(stage_name(sink.lines))
    head = _ident(sink.lines.key[0])
    same_key = " AND ".join(f"s.{_ident(k)} = l.{_ident(k)}" for k in sink.lines.key)
    return (
        f"DELETE FROM {lines} AS l USING {winners} AS w WHERE l.{head} = w.{head} "
        f"AND NOT EXISTS (SELECT 1 FROM {stage} AS s WHERE {same_key})"
    )


# --- reading the run's records ---------------------------------------------------------------


def read_partition(lake: Lake, table: str, run_date: str) -> pa.Table | None:
    """The rows of ``processed/<table>/run_date=D/`` (None when the folder is absent)."""
    uri = lake.processed_partition(table, run_date)
    if not lake.fs.exists(uri):
        return None
    dataset = pads.dataset(uri, format="parquet", filesystem=lake.fs, exclude_invalid_files=True)
    return dataset.to_table()


def _rows(data: pa.Table | None, table: Table, run_date: date) -> list[tuple]:
    """Rows in ``table``'s COPY order; ``run_date`` comes from the partition, not the file."""
    if data is None or data.num_rows == 0:
        return []
    columns = [
        [run_date] * data.num_rows if name == "run_date" else data.column(name).to_pylist()
        for name in table.names
    ]
    return list(zip(*columns, strict=True))


# --- the load --------------------------------------------------------------------------------


def ensure_tables(cursor, sink: Sink) -> None:
    for table in (sink.header, sink.lines):
        cursor.execute(create_table_sql(table))


def _stage(cursor, table: Table, rows: list[tuple]) -> None:
    stage = _ident(stage_name(table))
    cursor.execute(
        f"CREATE TEMP TABLE {stage} (LIKE {_ident(table.name)} INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    with cursor.copy(f"COPY {stage} ({_list(table.names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _inserted_updated(cursor) -> tuple[int, int]:
    flags = [row[0] for row in cursor.fetchall()]
    return sum(flags), len(flags) - sum(flags)


def upsert(connection, sink: Sink, headers: list[tuple], lines: list[tuple]) -> dict[str, int]:
    """Load one run's rows in one transaction; what changed, per kind of change."""
    winners = "load_winners"
    with connection.transaction(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"load:{sink.dataset}"])
        ensure_tables(cursor, sink)
        _stage(cursor, sink.header, headers)
        _stage(cursor, sink.lines, lines)
        cursor.execute(winners_sql(sink, winners))
        cursor.execute(f"SELECT count(*) FROM {winners}")
        winning = cursor.fetchone()[0]
        cursor.execute(upsert_sql(sink.header, winners))
        headers_inserted, headers_updated = _inserted_updated(cursor)
        cursor.execute(delete_stale_lines_sql(sink, winners))
        lines_deleted = cursor.rowcount
        cursor.execute(upsert_sql(sink.lines, winners))
        lines_inserted, lines_updated = _inserted_updated(cursor)
    return {
        f"{sink.header.name}_staged": len(headers),
        f"{sink.header.name}_inserted": headers_inserted,
        f"{sink.header.name}_updated": headers_updated,
        f"{sink.header.name}_unchanged": winning - headers_inserted - headers_updated,
        f"{sink.header.name}_kept_newer": len(headers) - winning,
        f"{sink.lines.name}_staged": len(lines),
        f"{sink.lines.name}_inserted": lines_inserted,
        f"{sink.lines.name}_updated": lines_updated,
        f"{sink.lines.name}_deleted": lines_deleted,
    }


def load_run(lake: Lake, dataset: str, run_date: str, url: str) -> dict[str, int]:
    """Upsert the run's processed partitions into the database at ``url``."""
    import psycopg

    sink = sink_for(dataset)
    day = date.fromisoformat(run_date)
    headers = _rows(read_partition(lake, sink.header.name, run_date), sink.header, day)
    lines = _rows(read_partition(lake, sink.lines.name, run_date), sink.lines, day)
    with psycopg.connect(
        url, connect_timeout=15, application_name=f"glue-pipeline load {dataset}"
    ) as connection:
        counts = upsert(connection, sink, headers, lines)
    log.info("%s %s -> PostgreSQL %s: %s", dataset, run_date, redact(url), counts)
    return counts


def redact(url: str) -> str:
    """``url`` without its password, for logs and run records."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:
        return "<unparseable database url>"
    host, port, name = parts.get("host", ""), parts.get("port", ""), parts.get("dbname", "")
    return f"postgresql://{parts.get('user', '')}@{host}{':' + port if port else ''}/{name}"
