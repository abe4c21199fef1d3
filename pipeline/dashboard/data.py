"""What the dashboard shows, as JSON-ready dicts: runs, summaries, catalog tables.

Run records are read from ``_runs/<dataset>/<date>/run.json`` (local folder or S3).
Summaries and catalogued tables are read with Trino SQL through a
:class:`~pipeline.dashboard.sources.QuerySource`: DuckDB over the local lake, or Athena on
the aws target (see :mod:`pipeline.dashboard.sources`); the SQL text is the same for both.
Charts go to the page as Vega-Lite specs (:mod:`pipeline.dashboard.charts`).

Values keep their meaning in JSON: decimals become exact strings (charts get them as
numbers), dates ISO strings, NaN and infinities ``null``. Nothing here escapes for HTML:
the page puts every value into the DOM as text.
"""

from __future__ import annotations

import json
import logging
import math
import posixpath
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fsspec.core import strip_protocol

from pipeline.datasets import DATASETS, DatasetSpec, UnknownDataset
from pipeline.lake import Lake, UnsafeKeyError, safe_relative_key
from pipeline.query import quote_identifier
from pipeline.steps.timing import STEPS

from .charts import (
    MAX_LINE_POINTS,
    ChartSpec,
    choose_chart,
    column_kind,
    rejections_spec,
    summary_spec,
)
from .sources import DuckDBSource, QuerySource

logger = logging.getLogger(__name__)

MAX_TABLE_ROWS = 200  # rows of a summary sent for its table (the row count is exact)
MAX_RUNS = 100  # newest runs listed per dataset
DATA_DOCS_URL = "/data-docs/"
COUNT_FIELDS = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")
FILE_FIELDS = ("files", "files_rejected", "files_duplicate")
HIDDEN_PREFIXES = ("_", ".")
SourceFactory = Callable[[], QuerySource]


def to_jsonable(value: Any) -> Any:
    """``value`` as JSON can carry it without losing meaning (see the module docstring)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return str(value)


def summary_view(dataset: str, summary: str) -> str:
    """The query-layer name of a published summary: ``enriched/<dataset>/<summary>``."""
    return f"enriched/{dataset}/{summary}"


def _int(value: Any) -> int:
    """A count from a run record; anything that is not a whole number counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _seconds(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return round(float(value), 3)
    return None


class DashboardData:
    """Reads one lake for the dashboard; every method returns JSON-ready data.

    ``source`` opens the :class:`QuerySource` of one page load (default: DuckDB over
    ``lake``); it is closed when the dataset has been read.
    """

    def __init__(
        self,
        lake: Lake,
        database: str,
        datasets: Mapping[str, DatasetSpec] | None = None,
        source: SourceFactory | None = None,
    ) -> None:
        self.lake = lake
        self.database = database
        self._datasets = datasets
        self._open_source = source or (lambda: DuckDBSource(lake, database))

    @property
    def datasets(self) -> Mapping[str, DatasetSpec]:
        """The registry (read at call time, so datasets registered later show up)."""
        return self._datasets if self._datasets is not None else DATASETS

    def spec(self, name: str) -> DatasetSpec:
        try:
            return self.datasets[name]
        except KeyError:
            raise UnknownDataset(f"unknown dataset {name!r}") from None

    # --- the page's two documents --------------------------------------------------------
    def overview(self) -> dict:
        """Every dataset with its latest run; cheap (run records only, no queries)."""
        datasets = []
        for name, spec in self.datasets.items():
            runs = self.runs(name)
            datasets.append(
                {
                    "name": name,
                    "description": spec.description,
                    "summaries": list(spec.summaries),
                    "tables": list(spec.tables),
                    "run_count": len(runs),
                    "latest_run": runs[0] if runs else None,
                }
            )
        return {
            "lake": self.lake.root,
            "database": self.database,
            "generated_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
            "data_docs": {"available": self.data_docs_available(), "url": self.data_docs_url()},
            "steps": list(STEPS),
            "datasets": datasets,
        }

    def dataset(self, name: str) -> dict:
        """One dataset in full: latest run with its files, runs, summaries, catalog tables."""
        spec = self.spec(name)
        runs = self.runs(name)
        latest = None
        if runs:
            record = self._read_run(name, runs[0]["logical_date"])
            latest = {
                **runs[0],
                "files": self._files(record or {}),
                "rejections_chart": rejections_spec(runs[0].get("rejections_by_reason", {})),
            }
        source = self._open_source()
        try:
            summaries = [self.summary(source, spec, s) for s in spec.summaries]
            tables = [self.table(source, t) for t in spec.tables]
        finally:
            source.close()
        return {
            "name": name,
            "description": spec.description,
            "database": self.database,
            "steps": list(STEPS),
            "latest_run": latest,
            "runs": runs,
            "summaries": summaries,
            "tables": tables,
            "data_docs": self._data_docs_links(spec),
        }

    # --- runs ----------------------------------------------------------------------------
    def runs(self, name: str) -> list[dict]:
        """The dataset's run records, newest logical date first (at most ``MAX_RUNS``)."""
        folder = self.lake.runs(name)
        if not self.lake.fs.isdir(folder):
            return []
        dates = sorted(
            (posixpath.basename(p.rstrip("/")) for p in self.lake.fs.ls(folder, detail=False)),
            reverse=True,
        )
        runs = []
        for run_date in dates:
            if run_date.startswith(HIDDEN_PREFIXES):
                continue
            try:
                record = self._read_run(name, run_date)
            except (OSError, ValueError) as error:
                runs.append({"logical_date": run_date, "status": "unreadable", "error": str(error)})
                continue
            if record is not None:
                runs.append(self._run_view(name, run_date, record))
            if len(runs) >= MAX_RUNS:
                break
        return runs

    def _read_run(self, name: str, run_date: str) -> dict | None:
        try:
            uri = self.lake.run_file(name, run_date, "run.json")
        except UnsafeKeyError:
            return None
        if not self.lake.fs.isfile(uri):
            return None
        with self.lake.fs.open(uri, "r", encoding="utf-8") as stream:
            record = json.load(stream)
        if not isinstance(record, dict):
            raise ValueError("run.json does not hold an object")
        return record

    def _run_view(self, name: str, run_date: str, record: dict) -> dict:
        totals = record.get("totals") if isinstance(record.get("totals"), dict) else {}
        reasons = record.get("rejections_by_reason")
        timings = record.get("timings") if isinstance(record.get("timings"), dict) else {}
        timings = {str(step): _seconds(s) for step, s in timings.items()}
        validation = (
            record.get("validation") if isinstance(record.get("validation"), dict) else None
        )
        statistics = (validation or {}).get("statistics") or {}
        return {
            "logical_date": str(record.get("logical_date") or run_date),
            "status": str(record.get("status") or "unknown"),
            "written_at": to_jsonable(record.get("written_at")),
            "totals": {f: _int(totals.get(f)) for f in (*COUNT_FIELDS, *FILE_FIELDS)},
            "rejections_by_reason": {
                str(reason): _int(rows)
                for reason, rows in sorted((reasons if isinstance(reasons, dict) else {}).items())
            },
            "timings": timings,
            "total_seconds": round(sum(s for s in timings.values() if s is not None), 3),
            "error": to_jsonable(record.get("error")),
            "validation": None
            if validation is None
            else {
                "success": bool(validation.get("success")),
                "evaluated": _int(statistics.get("evaluated_expectations")),
                "successful": _int(statistics.get("successful_expectations")),
            },
            "validation_url": self._validation_url(name, run_date),
        }

    @staticmethod
    def _files(record: dict) -> list[dict]:
        files = record.get("files") if isinstance(record.get("files"), list) else []
        return [
            {
                "key": str(entry.get("key", "")),
                **{f: _int(entry.get(f)) for f in COUNT_FIELDS},
                "reason": to_jsonable(entry.get("reason")),
                "detail": to_jsonable(entry.get("detail")),
            }
            for entry in files
            if isinstance(entry, dict)
        ]

    # --- summaries, through the query source --------------------------------------------
    def summary(self, source: QuerySource, spec: DatasetSpec, name: str) -> dict:
        """One published summary: columns, first rows, exact row count and its chart."""
        dataset = spec.name
        result: dict[str, Any] = {"name": name, "view": summary_view(dataset, name)}
        try:
            relation = source.summary_relation(spec, name)
            if relation is None:
                return {**result, "available": False}
            count = source.query(f"SELECT count(*) AS row_count FROM {relation}")
            row_count = int(count.column("row_count")[0].as_py())
            rows = source.query(f"SELECT * FROM {relation} LIMIT {MAX_TABLE_ROWS}")
            columns = [(f.name, column_kind(f.type)) for f in rows.schema]
            chart = choose_chart(dataset, name, columns, row_count)
            points = self._points(source, relation, chart)
            return {
                **result,
                "available": True,
                "row_count": row_count,
                "columns": [
                    {"name": f.name, "kind": kind, "type": str(f.type)}
                    for f, (_, kind) in zip(rows.schema, columns, strict=True)
                ],
                "rows": [to_jsonable(list(row.values())) for row in rows.to_pylist()],
                "truncated": row_count > rows.num_rows,
                "chart": {**chart.as_json(), "spec": summary_spec(chart, points)},
            }
        except Exception as error:  # one broken summary must not take the page down
            logger.exception("dashboard: summary %s/%s", dataset, name)
            return {**result, "available": True, "error": f"{type(error).__name__}: {error}"}

    def _points(self, source: QuerySource, relation: str, chart: ChartSpec) -> list[dict]:
        """The chart's ``{label, value}`` points, read with Trino SQL."""
        if chart.kind not in ("bar", "line"):
            return []
        label, value = quote_identifier(chart.label), quote_identifier(chart.value)
        select = f"SELECT CAST({label} AS VARCHAR) AS label, CAST({value} AS DOUBLE) AS value"
        if chart.kind == "line":  # the latest points, in label order
            sql = (
                f"{select} FROM {relation} WHERE {label} IS NOT NULL "
                f"ORDER BY {label} DESC LIMIT {MAX_LINE_POINTS}"
            )
            points = source.query(sql).to_pylist()[::-1]
        elif chart.top:
            sql = (
                f"{select} FROM {relation} WHERE {value} IS NOT NULL "
                f"ORDER BY {value} DESC, {label} LIMIT {int(chart.top)}"
            )
            points = source.query(sql).to_pylist()
        else:
            sql = f"{select} FROM {relation} WHERE {value} IS NOT NULL"
            points = source.query(sql).to_pylist()
        return [
            {"label": "" if p["label"] is None else p["label"], "value": to_jsonable(p["value"])}
            for p in points
        ]

    # --- catalog -------------------------------------------------------------------------
    def table(self, source: QuerySource, name: str) -> dict:
        """A processed table as the catalog has it, with its rows per partition."""
        definition = source.table_definition(name)
        if definition is None:
            return {"name": name, "catalogued": False}
        keys = [k["Name"] for k in definition.get("PartitionKeys", [])]
        info: dict[str, Any] = {
            "name": name,
            "catalogued": True,
            "columns": len(definition["StorageDescriptor"]["Columns"]),
            "partition_keys": keys,
            "partitions": len(definition.get("Partitions", [])),
        }
        try:
            table = quote_identifier(name)
            if keys:
                key = quote_identifier(keys[0])
                sql = (
                    f"SELECT CAST({key} AS VARCHAR) AS partition, count(*) AS row_count "
                    f"FROM {table} GROUP BY 1 ORDER BY 1 DESC"
                )
                by_partition = source.query(sql).to_pylist()
            else:
                sql = f"SELECT count(*) AS row_count FROM {table}"
                by_partition = [{"partition": None, **source.query(sql).to_pylist()[0]}]
            info["rows_by_partition"] = to_jsonable(by_partition)
            info["rows"] = sum(int(p["row_count"]) for p in by_partition)
        except Exception as error:
            logger.exception("dashboard: table %s", name)
            info["error"] = f"{type(error).__name__}: {error}"
        return info

    # --- Data Docs -----------------------------------------------------------------------
    def data_docs_url(self) -> str:
        return DATA_DOCS_URL + "index.html"

    def data_docs_available(self) -> bool:
        return self.lake.fs.isfile(posixpath.join(self.lake.data_docs(), "index.html"))

    def data_docs_file(self, relative: str) -> bytes | None:
        """The bytes of ``data_docs/<relative>``, or None when absent or outside Data Docs.

        Locally only a regular file whose real path (links resolved) lies inside
        ``data_docs/`` is read: a symlink out of it (to ``/etc/shadow``, say) is refused.
        """
        try:
            path = self.lake.uri("data_docs", safe_relative_key(relative))
        except UnsafeKeyError:
            return None
        if self.lake.is_local:
            real = Path(strip_protocol(path)).resolve()
            if not real.is_relative_to(Path(strip_protocol(self.lake.data_docs())).resolve()):
                return None
            return real.read_bytes() if real.is_file() else None
        if not self.lake.fs.isfile(path):
            return None
        with self.lake.fs.open(path, "rb") as stream:
            return stream.read()

    def _data_docs_links(self, spec: DatasetSpec) -> dict:
        """Links into Data Docs for this dataset: the index and each table's suite page.

        GX draws its index's list of validations with scripts from a CDN, so offline that
        list stays empty; the suite pages and the runs' validation pages are plain HTML.
        """
        suites = []
        for table in spec.tables:
            relative = f"expectations/{table}.html"
            if self.lake.fs.isfile(posixpath.join(self.lake.data_docs(), relative)):
                suites.append({"table": table, "url": DATA_DOCS_URL + quote(relative)})
        return {
            "index": self.data_docs_url() if self.data_docs_available() else None,
            "suites": suites,
        }

    def _validation_url(self, name: str, run_date: str) -> str | None:
        """The newest GX validation page of this run (``validations/<suite>/<date>/…``)."""
        root = self.lake.data_docs()
        spec = self.datasets.get(name)
        if spec is None or not self.lake.fs.isdir(posixpath.join(root, "validations")):
            return None
        pages = []
        for table in spec.tables:
            try:
                folder = self.lake.uri("data_docs", "validations", table, run_date)
            except UnsafeKeyError:
                continue
            if self.lake.fs.isdir(folder):
                pages += self.lake.fs.glob(posixpath.join(strip_protocol(folder), "*", "*.html"))
        if not pages:
            return None
        newest = strip_protocol(sorted(pages)[-1])
        relative = newest[len(strip_protocol(root)) + 1 :]
        return DATA_DOCS_URL + quote(relative, safe="/")
