"""The local Athena step: the dataset's summary SQL on DuckDB, results into ``enriched/``.

SQL layout, per dataset (``sql/<dataset>/``): ``views/*.sql`` are ``CREATE OR REPLACE
VIEW`` statements, run first in name order; every other ``*.sql`` is one summary
``SELECT`` named by its file stem. The text is Trino SQL with unqualified table names:
locally the database is DuckDB's search path, on AWS it is Athena's
``QueryExecutionContext``, so both targets send the very same text
(:func:`view_sql_files`, :func:`summary_sql_files`).

Each summary replaces ``enriched/<dataset>/<summary>/`` as a whole: the result is written
into a hidden sibling folder, then swapped in, so readers never see a half-written or
doubled result and a re-run leaves exactly one file.
"""

from __future__ import annotations

import logging
import posixpath
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.lake import Lake
from pipeline.query import open_catalog_connection, run_trino_sql

logger = logging.getLogger(__name__)

VIEWS_FOLDER = "views"
RESULT_FILE = "part-00000.snappy.parquet"


def view_sql_files(sql_dir: Path) -> dict[str, str]:
    """View name -> SQL text of ``<sql_dir>/views/*.sql``, in the order to run them."""
    return _sql_files(sql_dir / VIEWS_FOLDER)


def summary_sql_files(sql_dir: Path) -> dict[str, str]:
    """Summary name -> SQL text of ``<sql_dir>/*.sql`` (``sql_dir`` is ``sql/<dataset>``)."""
    return _sql_files(sql_dir)


def _sql_files(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.sql"))}


def run_summaries(lake: Lake, database: str, dataset: str, sql_dir: Path) -> dict[str, int]:
    """Create the views, run every summary and publish it; summary name -> row count.

    ``sql_dir`` is the dataset's SQL folder, ``sql/<dataset>`` (``DatasetSpec.sql_dir``).
    """
    summaries = summary_sql_files(sql_dir)
    if not summaries:
        raise FileNotFoundError(f"no summary SQL in {sql_dir} (expected sql/<dataset>/*.sql)")
    connection = open_catalog_connection(lake, database)
    try:
        for name, sql in view_sql_files(sql_dir).items():
            logger.info("view %s.%s", database, name)
            run_trino_sql(connection, sql, database)
        row_counts = {}
        for name, sql in summaries.items():
            result = run_trino_sql(connection, sql, database)
            publish_result(lake, lake.enriched(dataset, name), result)
            row_counts[name] = result.num_rows
            logger.info("summary %s/%s: %d rows", dataset, name, result.num_rows)
        return row_counts
    finally:
        connection.close()


def publish_result(lake: Lake, folder: str, table: pa.Table) -> None:
    """Replace ``folder`` with one Parquet file holding ``table`` (write aside, then swap)."""
    fs = lake.fs
    parent, name = posixpath.split(folder)
    _remove_leftovers(lake, parent, name)
    token = uuid.uuid4().hex
    staged = posixpath.join(parent, f".{name}.{token}.tmp")
    retired = posixpath.join(parent, f".{name}.{token}.old")
    fs.makedirs(staged, exist_ok=True)
    old_moved_aside = False
    try:
        with fs.open(posixpath.join(staged, RESULT_FILE), "wb") as stream:
            pq.write_table(table, stream, compression="snappy")
        if fs.exists(folder):
            fs.mv(folder, retired, recursive=True)
            old_moved_aside = True
        fs.mv(staged, folder, recursive=True)
    except BaseException:
        if old_moved_aside and not fs.exists(folder):
            fs.mv(retired, folder, recursive=True)  # put the previous result back
        raise
    finally:
        for leftover in (staged, retired):
            if fs.exists(leftover):
                fs.rm(leftover, recursive=True)


def _remove_leftovers(lake: Lake, parent: str, name: str) -> None:
    """Drop staging folders an interrupted earlier publish of ``name`` left behind."""
    if not lake.fs.isdir(parent):
        return
    for path in lake.fs.ls(parent, detail=False):
        base = posixpath.basename(path.rstrip("/"))
        if base.startswith(f".{name}.") and base.endswith((".tmp", ".old")):
            lake.fs.rm(path, recursive=True)
