"""Glue job: validate one processed partition with Great Expectations.

    spark-submit glue_jobs/validate_job.py --dataset orders --table orders \\
        --lake_root <dir or s3://bucket> --run_date 2024-03-01 \\
        --suite_uri <repo>/expectations/orders.json --expected_rows 1234

Reads ``<lake>/processed/<table>/run_date=<D>/``, runs the suite at ``--suite_uri`` with
``expected_row_count = --expected_rows`` (the clean job's valid-row count); with
``--scope table`` (an aggregate the job rewrites whole each run, e.g. ``order_totals``) it
reads the whole ``<lake>/processed/<table>/`` instead, takes no ``--expected_rows`` and
gives the suite no row count. Writes
``<lake>/_runs/<dataset>/<D>/validation.json`` (``validation_<table>.json`` when the table is
not named like the dataset; always, also when validation fails or cannot
run) and publishes GX Data Docs to ``<lake>/data_docs/``. Exits non-zero with a one-line
message when the suite fails. The GX logic is in ``glue_lib.validation``; this script only
does arguments, the session and I/O, identically under spark-submit and on AWS Glue.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from glue_lib import layout
from glue_lib.args import parse_job_args
from glue_lib.lake_io import exists, read_text, write_text
from glue_lib.session import build_spark, job_logger
from glue_lib.validation import (
    ValidationReport,
    ValidationSetupError,
    failure_message,
    format_report,
    suite_columns,
    validate_dataframe,
)
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

REQUIRED = ("dataset", "table", "lake_root", "run_date", "suite_uri")
# --expected_rows is required with --scope run_date (the default) and refused with table.
OPTIONAL = {"scope": "run_date", "expected_rows": ""}
SCOPES = ("run_date", "table")
ROW_COUNT_PARAMETER = "expected_row_count"
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class JobInputError(ValueError):
    """The job cannot validate (bad argument, missing data): reported in one line."""


@dataclasses.dataclass(frozen=True)
class JobPaths:
    partition: str
    table_root: str
    summary: str
    data_docs: str

    @classmethod
    def of(
        cls, lake_root: str, dataset: str, table: str, run_date: str, scope: str = "run_date"
    ) -> JobPaths:
        lake = lake_root.rstrip("/")
        return cls(
            partition=(
                f"{lake}/processed/{table}"
                if scope == "table"
                else layout.processed_partition(lake, table, run_date)
            ),
            table_root=f"{lake}/processed/{table}",
            summary=layout.run_file(
                lake, dataset, run_date, layout.validation_file_name(dataset, table)
            ),
            data_docs=f"{lake}/data_docs",
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_job_args(REQUIRED, argv, OPTIONAL)
    try:
        dataset, table, run_date, expected_rows = _checked_args(args)
    except JobInputError as exc:
        raise SystemExit(f"error: {exc}") from None
    log = job_logger("validate_job")
    spark = build_spark(f"validate_{dataset}")
    paths = JobPaths.of(args["lake_root"], dataset, table, run_date, args["scope"])
    record: dict[str, Any] = {
        "dataset": dataset,
        "table": table,
        "run_date": run_date,
        "partition_uri": paths.partition,
        "scope": args["scope"],
        "suite_uri": args["suite_uri"],
        "expected_rows": expected_rows,
    }
    log.info("validating %s against %s", paths.partition, args["suite_uri"])
    try:
        suite_json = _read_suite(spark, args["suite_uri"])
        df = read_partition(spark, paths, expected_rows, suite_json)
        report = validate_and_publish(spark, df, suite_json, expected_rows, paths, table, run_date)
    except (JobInputError, ValidationSetupError) as exc:
        write_summary(spark, paths.summary, record, None, error=str(exc))
        raise SystemExit(f"validation of {dataset} {run_date} could not run: {exc}") from None
    except Exception as exc:
        write_summary(spark, paths.summary, record, None, error=_first_line(exc))
        raise
    write_summary(spark, paths.summary, record, report)
    for line in format_report(report).splitlines():
        (log.info if report.success else log.error)(line)
    log.info("summary written to %s", paths.summary)
    if not report.success:
        raise SystemExit(
            f"validation failed for {dataset} {run_date}: {failure_message(report)} "
            f"(see {paths.summary})"
        )
    return 0


def _checked_args(args: dict[str, str]) -> tuple[str, str, str, int | None]:
    for key in ("dataset", "table"):
        if not _NAME.match(args[key]):
            raise JobInputError(f"--{key} {args[key]!r} is not a plain name")
    run_date = args["run_date"]
    try:
        if not _DATE.match(run_date):
            raise ValueError
        dt.date.fromisoformat(run_date)
    except ValueError:
        raise JobInputError(f"--run_date {run_date!r} is not a YYYY-MM-DD date") from None
    if args["scope"] not in SCOPES:
        raise JobInputError(f"--scope {args['scope']!r} is not one of {', '.join(SCOPES)}")
    if args["scope"] == "table":
        if args["expected_rows"]:
            raise JobInputError("--expected_rows is not checked with --scope table")
        return args["dataset"], args["table"], run_date, None
    if not args["expected_rows"]:
        raise JobInputError("missing required job argument(s): --expected_rows")
    try:
        expected_rows = int(args["expected_rows"])
    except ValueError:
        expected_rows = -1
    if expected_rows < 0:
        raise JobInputError(f"--expected_rows {args['expected_rows']!r} is not an integer >= 0")
    return args["dataset"], args["table"], run_date, expected_rows


def _read_suite(spark: SparkSession, uri: str) -> str:
    try:
        return read_text(spark, uri)
    except Exception as exc:  # Py4JJavaError (FileNotFound, access denied, ...)
        raise JobInputError(f"cannot read the suite at {uri}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)  # py4j errors carry a multi-line Java trace
    text = str(java.toString()) if java is not None else f"{type(exc).__name__}: {exc}"
    return (text.strip().splitlines() or [type(exc).__name__])[0][:500]


def read_partition(
    spark: SparkSession, paths: JobPaths, expected_rows: int | None, suite_json: str
) -> DataFrame:
    """The partition's rows; a missing/empty partition is 0 rows, allowed only if expected.

    ``expected_rows`` None: the whole table (``--scope table``), which must be there.
    """
    df = _read_parquet(spark, paths.partition)
    if df is not None:
        return df
    if expected_rows is None:
        raise JobInputError(f"no data at {paths.partition}")
    if expected_rows != 0:
        raise JobInputError(
            f"no data at {paths.partition}, but the clean job reported {expected_rows} valid rows"
        )
    schema = _sibling_schema(spark, paths) or _suite_schema(suite_json)
    return spark.createDataFrame([], schema)


def _read_parquet(spark: SparkSession, uri: str) -> DataFrame | None:
    from pyspark.errors import AnalysisException

    if not exists(spark, uri):
        return None
    try:
        return spark.read.parquet(uri)
    except AnalysisException as exc:  # a folder with no data files (e.g. only _SUCCESS)
        if exc.getErrorClass() == "UNABLE_TO_INFER_SCHEMA":
            return None
        raise


def _sibling_schema(spark: SparkSession, paths: JobPaths) -> T.StructType | None:
    """The schema of the newest other partition of the table, if there is one."""
    jvm = spark.sparkContext._jvm
    pattern = jvm.org.apache.hadoop.fs.Path(f"{paths.table_root}/{layout.PARTITION_COLUMN}=*")
    fs = pattern.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    statuses = fs.globStatus(pattern) or []
    names = sorted((s.getPath().getName() for s in statuses if s.isDirectory()), reverse=True)
    current = paths.partition.rsplit("/", 1)[-1]
    for name in [n for n in names if n != current][:3]:
        df = _read_parquet(spark, f"{paths.table_root}/{name}")
        if df is not None:
            return df.schema
    return None


def _suite_schema(suite_json: str) -> T.StructType:
    columns = suite_columns(suite_json)
    if not columns:
        raise JobInputError("no partition to take a schema from and the suite names no columns")
    return T.StructType([T.StructField(c, T.StringType(), True) for c in columns])


def validate_and_publish(
    spark: SparkSession,
    df: DataFrame,
    suite_json: str,
    expected_rows: int | None,
    paths: JobPaths,
    table: str,
    run_date: str,
) -> ValidationReport:
    """Run the suite with docs rendered locally, then copy the docs into the lake.

    GX 1.x renders Data Docs only to a local filesystem, and prunes pages it has no record
    of when it rebuilds a site's index; so every run renders into a fresh temp dir and the
    files are copied over ``<lake>/data_docs/`` (earlier runs' pages stay, ``index.html``
    shows this run). The same Hadoop FS copy serves ``s3://`` on Glue and local folders.
    """
    with tempfile.TemporaryDirectory(prefix="gx_data_docs_") as tmp:
        report = validate_dataframe(
            df,
            suite_json,
            {} if expected_rows is None else {ROW_COUNT_PARAMETER: expected_rows},
            tmp,
            asset_name=table,
            run_name=run_date,
        )
        publish_tree(spark, Path(tmp), paths.data_docs)
        page = report.data_docs_page_uri
        page_uri = None
        if page and Path(page).is_relative_to(tmp):
            page_uri = f"{paths.data_docs}/{Path(page).relative_to(tmp).as_posix()}"
    return dataclasses.replace(
        report, data_docs_index_uri=f"{paths.data_docs}/index.html", data_docs_page_uri=page_uri
    )


def publish_tree(spark: SparkSession, local_dir: Path, target_uri: str) -> int:
    """Copy every file under ``local_dir`` to the same relative path under ``target_uri``.

    ``index.html`` goes last so the index never links a page that is not there yet.
    Returns the number of files copied.
    """
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path
    target = target_uri.rstrip("/")
    fs = hadoop_path(target).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    files = sorted(
        (p for p in local_dir.rglob("*") if p.is_file()),
        key=lambda p: (p.relative_to(local_dir).as_posix() == "index.html", str(p)),
    )
    for file in files:
        relative = file.relative_to(local_dir).as_posix()
        fs.copyFromLocalFile(
            False, True, hadoop_path(file.as_uri()), hadoop_path(f"{target}/{relative}")
        )
    return len(files)


def write_summary(
    spark: SparkSession,
    uri: str,
    record: dict[str, Any],
    report: ValidationReport | None,
    error: str | None = None,
) -> None:
    """``validation.json``: the report's fields (or a failed stub) plus the run's context."""
    if report is not None:
        body = report.to_dict()
    else:
        body = {
            "success": False,
            "suite_name": None,
            "run_name": record.get("run_date"),
            "statistics": {
                "evaluated_expectations": 0,
                "successful_expectations": 0,
                "unsuccessful_expectations": 0,
                "success_percent": None,
            },
            "failed_expectations": [],
            "data_docs": None,
            "data_docs_page": None,
        }
    body["error"] = error
    body.update(record)
    body["validated_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write_text(spark, uri, json.dumps(body, indent=2, default=str) + "\n")


if __name__ == "__main__":
    sys.exit(main())
