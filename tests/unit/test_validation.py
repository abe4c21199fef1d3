"""The GX validation step: the orders suite, the report, Data Docs and partition reading."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import validate_job
from glue_lib.validation import (
    ValidationSetupError,
    failure_message,
    format_report,
    load_suite,
    suite_columns,
    suite_parameter_names,
    validate_dataframe,
)
from pyspark.sql import types as T

REPO = Path(__file__).resolve().parents[2]
SUITE_PATH = REPO / "expectations" / "orders.json"
PARAMETER = "expected_row_count"

SCHEMA = T.StructType(
    [
        T.StructField("order_id", T.StringType()),
        T.StructField("customer_id", T.StringType()),
        T.StructField("order_date", T.DateType()),
        T.StructField("status", T.StringType()),
        T.StructField("quantity", T.IntegerType()),
        T.StructField("unit_price", T.DecimalType(12, 2)),
        T.StructField("country", T.StringType()),
        T.StructField("updated_at", T.TimestampType()),
        T.StructField("amount", T.DecimalType(14, 2)),
        T.StructField("order_month", T.StringType()),
        T.StructField("source_key", T.StringType()),
        T.StructField("source_line", T.IntegerType()),
    ]
)
COLUMNS = [f.name for f in SCHEMA.fields]


def order(n: int, **changes) -> dict:
    row = {
        "order_id": f"O{n:04d}",
        "customer_id": f"C{n % 3}",
        "order_date": date(2024, 3, 1),
        "status": ("pending", "shipped", "delivered", "cancelled", "returned")[n % 5],
        "quantity": n + 1,
        "unit_price": Decimal("9.99"),
        "country": ("DE", "FR", "UNKNOWN")[n % 3],
        "updated_at": datetime(2024, 3, 1, 12, 0) if n % 2 else None,
        "amount": Decimal("9.99") * (n + 1),
        "order_month": "2024-03",
        "source_key": "raw/orders/2024-03-01/orders_1.csv",
        "source_line": n + 2,
    }
    row.update(changes)
    return row


def clean_rows(count: int = 4) -> list[dict]:
    return [order(n) for n in range(count)]


@pytest.fixture(scope="module")
def suite_text() -> str:
    return SUITE_PATH.read_text()


def frame(spark, rows: list[dict], schema: T.StructType = SCHEMA):
    return spark.createDataFrame([tuple(r[f.name] for f in schema.fields) for r in rows], schema)


# --- the suite file --------------------------------------------------------------------------


def test_orders_suite_loads_with_gx(suite_text):
    suite = load_suite(suite_text)
    raw = json.loads(suite_text)

    assert suite.name == "orders"
    assert len(suite.expectations) == len(raw["expectations"]) == 20
    assert suite_parameter_names(suite) == {PARAMETER}
    assert sorted(suite_columns(suite_text)) == sorted(COLUMNS)
    pairs = {(e["type"], e["kwargs"].get("column")) for e in raw["expectations"]}
    not_null = {c for t, c in pairs if t == "expect_column_values_to_not_be_null"}
    assert not_null == set(COLUMNS) - {"country", "updated_at"}
    assert ("expect_column_values_to_be_unique", "order_id") in pairs
    assert ("expect_table_row_count_to_equal", None) in pairs


def test_unknown_expectation_is_a_clear_error(suite_text):
    raw = json.loads(suite_text)
    raw["expectations"].append({"type": "expect_column_to_be_lovely", "kwargs": {"column": "x"}})

    with pytest.raises(ValidationSetupError, match=r"#20 \(expect_column_to_be_lovely\)"):
        load_suite(json.dumps(raw))


def test_bad_kwargs_are_a_clear_error():
    suite = {"name": "s", "expectations": [{"type": "expect_column_values_to_not_be_null"}]}

    with pytest.raises(ValidationSetupError, match="expect_column_values_to_not_be_null"):
        load_suite(suite)


def test_missing_suite_parameter_is_a_setup_error(spark, suite_text):
    with pytest.raises(ValidationSetupError, match=PARAMETER):
        validate_dataframe(frame(spark, clean_rows()), suite_text, {})


# --- validating --------------------------------------------------------------------------------


def test_clean_partition_passes_and_writes_data_docs(spark, suite_text, tmp_path):
    rows = clean_rows()
    docs = tmp_path / "docs"

    df = frame(spark, rows)

    report = validate_dataframe(df, suite_text, {PARAMETER: len(rows)}, docs, run_name="2024-03-01")

    assert report.success, format_report(report)
    assert not df.is_cached  # GX persists the frame while validating; nothing is left behind
    assert report.evaluated_expectations == report.successful_expectations == 20
    assert report.failed_expectations == []
    assert (docs / "index.html").is_file()
    assert report.data_docs_index_uri == str(docs.resolve() / "index.html")
    assert report.data_docs_page_uri and Path(report.data_docs_page_uri).is_file()
    assert "/validations/orders/2024-03-01/" in report.data_docs_page_uri
    assert (docs / "expectations" / "orders.html").is_file()
    assert not (tmp_path / "gx").exists() and not (REPO / "gx").exists()
    assert format_report(report).splitlines() == [
        "suite 'orders' PASSED: 20 of 20 expectations met (run 2024-03-01)",
        f"  data docs: {docs.resolve() / 'index.html'}",
    ]


@dataclass(frozen=True)
class Violation:
    rows: list[dict]
    expected_type: str
    column: str | None
    mentions: str
    extra_column: bool = False
    expected_rows: int | None = None


VIOLATIONS = {
    "null_key": Violation(
        [*clean_rows(3), order(3, order_id=None)],
        "expect_column_values_to_not_be_null",
        "order_id",
        "1 of 4 rows unexpected",
    ),
    "duplicate_order_id": Violation(
        [*clean_rows(3), order(3, order_id="O0001")],
        "expect_column_values_to_be_unique",
        "order_id",
        '"O0001"',
    ),
    "bad_status": Violation(
        [*clean_rows(3), order(3, status="lost")],
        "expect_column_values_to_be_in_set",
        "status",
        '"lost"',
    ),
    "quantity_zero": Violation(
        [*clean_rows(3), order(3, quantity=0)],
        "expect_column_values_to_be_between",
        "quantity",
        "e.g. [0]",
    ),
    "row_count_mismatch": Violation(
        clean_rows(4),
        "expect_table_row_count_to_equal",
        None,
        "observed 4; expected value=5",
        expected_rows=5,
    ),
    "extra_column": Violation(
        clean_rows(4),
        "expect_table_columns_to_match_set",
        None,
        "unexpected columns ['surprise']",
        extra_column=True,
    ),
}


@pytest.mark.parametrize("case", VIOLATIONS.values(), ids=VIOLATIONS.keys())
def test_each_violation_fails_and_is_named(spark, suite_text, case: Violation):
    df = frame(spark, case.rows)
    if case.extra_column:
        df = df.withColumn("surprise", df.order_id)
    expected_rows = len(case.rows) if case.expected_rows is None else case.expected_rows

    report = validate_dataframe(df, suite_text, {PARAMETER: expected_rows})

    assert not report.success
    assert [(f.type, f.column) for f in report.failed_expectations] == [
        (case.expected_type, case.column)
    ]
    assert report.unsuccessful_expectations == 1
    [failure] = report.failed_expectations
    assert case.mentions in failure.summary
    text = format_report(report)
    assert f"FAILED {case.expected_type} [{case.column or 'table'}]: " in text
    assert case.mentions in text
    message = failure_message(report)
    assert "\n" not in message and case.expected_type in message
    json.dumps(report.to_dict())  # validation.json must serialise (decimals, dates)


def test_failures_report_decimal_and_regex_values(spark, suite_text):
    rows = [
        *clean_rows(2),
        order(2, unit_price=Decimal("-1.00"), amount=Decimal("-2.00"), source_line=1),
        order(3, country="de", order_month="2024-3"),
    ]

    report = validate_dataframe(frame(spark, rows), suite_text, {PARAMETER: 4})

    failed = {(f.type, f.column): f for f in report.failed_expectations}
    assert set(failed) == {
        ("expect_column_values_to_be_between", "unit_price"),
        ("expect_column_values_to_be_between", "amount"),
        ("expect_column_values_to_match_regex", "country"),
        ("expect_column_values_to_match_regex", "order_month"),
        ("expect_column_values_to_be_between", "source_line"),
    }
    price = failed[("expect_column_values_to_be_between", "unit_price")]
    assert price.observed["partial_unexpected_list"] == ["-1.00"]
    assert json.loads(json.dumps(report.to_dict()))["statistics"]["unsuccessful_expectations"] == 5


# --- the job's partition reading ---------------------------------------------------------------


def job_paths(lake_root: Path) -> validate_job.JobPaths:
    return validate_job.JobPaths.of(str(lake_root), "orders", "orders", "2024-03-01")


def test_read_partition_reads_the_run_date_folder(spark, lake_root, suite_text):
    paths = job_paths(lake_root)
    frame(spark, clean_rows(3)).write.parquet(paths.partition)

    df = validate_job.read_partition(spark, paths, 3, suite_text)

    assert df.count() == 3
    assert df.columns == COLUMNS  # the partition column stays in the path


def test_missing_partition_is_empty_only_when_zero_rows_expected(spark, lake_root, suite_text):
    paths = job_paths(lake_root)

    with pytest.raises(validate_job.JobInputError, match="reported 7 valid rows"):
        validate_job.read_partition(spark, paths, 7, suite_text)
    df = validate_job.read_partition(spark, paths, 0, suite_text)

    assert df.count() == 0
    assert sorted(df.columns) == sorted(COLUMNS)  # no partition to copy: the suite's columns
    report = validate_dataframe(df, suite_text, {PARAMETER: 0})
    assert report.success, format_report(report)


def test_missing_partition_takes_schema_from_an_earlier_partition(spark, lake_root, suite_text):
    paths = job_paths(lake_root)
    frame(spark, clean_rows(2)).write.parquet(f"{paths.table_root}/run_date=2024-02-29")

    df = validate_job.read_partition(spark, paths, 0, suite_text)

    assert df.count() == 0
    assert df.schema == spark.read.parquet(f"{paths.table_root}/run_date=2024-02-29").schema


def test_job_argument_errors_are_one_line(lake_root):
    argv = ["--dataset", "orders", "--table", "orders", "--lake_root", str(lake_root)]
    argv += ["--run_date", "2024-3-1", "--suite_uri", str(SUITE_PATH), "--expected_rows", "5"]

    with pytest.raises(SystemExit, match=r"^error: --run_date '2024-3-1' is not a YYYY-MM-DD"):
        validate_job.main(argv)


def test_job_writes_validation_json_when_it_cannot_validate(spark, lake_root):
    argv = ["--dataset", "orders", "--table", "orders", "--lake_root", str(lake_root)]
    argv += ["--run_date", "2024-03-01", "--suite_uri", str(SUITE_PATH), "--expected_rows", "5"]

    with pytest.raises(SystemExit) as exited:
        validate_job.main(argv)

    message = str(exited.value)
    assert "\n" not in message
    assert message.startswith("validation of orders 2024-03-01 could not run: no data at ")
    summary = json.loads((lake_root / "_runs/orders/2024-03-01/validation.json").read_text())
    assert summary["success"] is False
    assert summary["error"].endswith("but the clean job reported 5 valid rows")
    assert summary["statistics"]["evaluated_expectations"] == 0
    assert summary["expected_rows"] == 5


def test_unreadable_suite_is_a_one_line_error(spark, lake_root):
    argv = ["--dataset", "orders", "--table", "orders", "--lake_root", str(lake_root)]
    argv += ["--run_date", "2024-03-01", "--suite_uri", str(lake_root / "nope.json")]

    with pytest.raises(SystemExit, match=r"cannot read the suite at .*nope\.json: .*FileNotFound"):
        validate_job.main([*argv, "--expected_rows", "5"])
    summary = json.loads((lake_root / "_runs/orders/2024-03-01/validation.json").read_text())
    assert summary["success"] is False and "nope.json" in summary["error"]


def test_job_paths_follow_the_lake_layout_for_s3_roots():
    paths = validate_job.JobPaths.of("s3://lake-bucket/", "orders", "orders", "2024-03-01")

    assert paths.partition == "s3://lake-bucket/processed/orders/run_date=2024-03-01"
    assert paths.summary == "s3://lake-bucket/_runs/orders/2024-03-01/validation.json"
    assert paths.data_docs == "s3://lake-bucket/data_docs"


def test_publish_tree_overwrites_index_and_keeps_earlier_pages(spark, tmp_path):
    site = tmp_path / "lake" / "data_docs"
    (site / "validations" / "old").mkdir(parents=True)
    (site / "validations" / "old" / "page.html").write_text("earlier run")
    (site / "index.html").write_text("old index")
    built = tmp_path / "built"
    (built / "validations" / "new").mkdir(parents=True)
    (built / "validations" / "new" / "page.html").write_text("this run")
    (built / "index.html").write_text("new index")

    copied = validate_job.publish_tree(spark, built, str(site))

    assert copied == 2
    assert (site / "index.html").read_text() == "new index"
    assert (site / "validations" / "new" / "page.html").read_text() == "this run"
    assert (site / "validations" / "old" / "page.html").read_text() == "earlier run"


# --- the order_totals aggregate: its suite and whole-table validation --------------------------

TOTALS_SUITE_PATH = REPO / "expectations" / "order_totals.json"
TOTALS_SCHEMA = T.StructType(
    [
        T.StructField("order_date", T.DateType()),
        T.StructField("customer_id", T.StringType()),
        T.StructField("status", T.StringType()),
        T.StructField("order_month", T.StringType()),
        T.StructField("orders", T.LongType()),
        T.StructField("revenue", T.DecimalType(38, 2)),
    ]
)


def totals_frame(spark, *changed: dict):
    """order_totals of clean_rows(10) (glue_lib.aggregates), with rows appended."""
    from glue_lib.aggregates import order_totals
    from pyspark.sql import functions as F

    history = frame(spark, clean_rows(10)).withColumn("run_date", F.lit("2024-03-01"))
    totals = order_totals(history)
    if changed:
        base = {"order_date": date(2024, 3, 2), "customer_id": "C9", "status": "shipped"}
        base |= {"order_month": "2024-03", "orders": 1, "revenue": Decimal("1.00")}
        rows = [tuple({**base, **c}[f.name] for f in TOTALS_SCHEMA.fields) for c in changed]
        totals = totals.unionByName(spark.createDataFrame(rows, TOTALS_SCHEMA))
    return totals


def test_order_totals_suite_needs_no_row_count(spark):
    suite_text = TOTALS_SUITE_PATH.read_text()
    suite = load_suite(suite_text)

    assert suite.name == "order_totals"
    assert suite_parameter_names(suite) == set()
    assert sorted(suite_columns(suite_text)) == sorted(f.name for f in TOTALS_SCHEMA.fields)
    report = validate_dataframe(totals_frame(spark), suite_text, {})
    assert report.success, format_report(report)
    assert report.evaluated_expectations == len(json.loads(suite_text)["expectations"])


TOTALS_VIOLATIONS = {
    "duplicate_key": (
        [{"customer_id": "C7"}, {"customer_id": "C7", "orders": 2}],
        "expect_compound_columns_to_be_unique",
        "order_date,customer_id,status",
    ),
    "revenue_of_a_cancelled_order": (
        [{"status": "cancelled", "revenue": Decimal("0.01")}],
        "expect_column_values_to_be_between",
        "revenue",
    ),
    "no_orders": ([{"orders": 0}], "expect_column_values_to_be_between", "orders"),
    "null_customer": (
        [{"customer_id": None}],
        "expect_column_values_to_not_be_null",
        "customer_id",
    ),
}


@pytest.mark.parametrize("case", TOTALS_VIOLATIONS.values(), ids=TOTALS_VIOLATIONS.keys())
def test_each_order_totals_violation_fails(spark, case):
    rows, expected_type, column = case

    report = validate_dataframe(totals_frame(spark, *rows), TOTALS_SUITE_PATH.read_text(), {})

    assert [(f.type, f.column) for f in report.failed_expectations] == [(expected_type, column)]


def test_table_scope_reads_the_whole_unpartitioned_table(spark, lake_root):
    paths = validate_job.JobPaths.of(
        str(lake_root), "orders", "order_totals", "2024-03-01", "table"
    )
    assert paths.partition == f"{lake_root}/processed/order_totals"
    assert paths.summary.endswith("_runs/orders/2024-03-01/validation_order_totals.json")

    with pytest.raises(validate_job.JobInputError, match=r"^no data at .*processed/order_totals$"):
        validate_job.read_partition(spark, paths, None, TOTALS_SUITE_PATH.read_text())
    totals_frame(spark).write.parquet(paths.partition)

    df = validate_job.read_partition(spark, paths, None, TOTALS_SUITE_PATH.read_text())
    assert df.count() == totals_frame(spark).count()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scope", "table", "--expected_rows", "5"], "--expected_rows is not checked"),
        ([], "missing required job argument(s): --expected_rows"),
        (["--scope", "month", "--expected_rows", "5"], "--scope 'month' is not one of"),
    ],
)
def test_scope_and_expected_rows_go_together(lake_root, extra, message):
    argv = ["--dataset", "orders", "--table", "order_totals", "--lake_root", str(lake_root)]
    argv += ["--run_date", "2024-03-01", "--suite_uri", str(TOTALS_SUITE_PATH), *extra]

    with pytest.raises(SystemExit, match=re.escape(f"error: {message}")):
        validate_job.main(argv)


def test_job_validates_the_aggregate_whole_without_a_row_count(spark, lake_root):
    totals_frame(spark).write.parquet(str(lake_root / "processed" / "order_totals"))
    argv = ["--dataset", "orders", "--table", "order_totals", "--lake_root", str(lake_root)]
    argv += ["--run_date", "2024-03-01", "--suite_uri", str(TOTALS_SUITE_PATH)]

    assert validate_job.main([*argv, "--scope", "table"]) == 0

    summary = json.loads(
        (lake_root / "_runs/orders/2024-03-01/validation_order_totals.json").read_text()
    )
    assert summary["success"] is True and summary["error"] is None
    assert summary["scope"] == "table" and summary["expected_rows"] is None
    assert summary["partition_uri"] == f"{lake_root}/processed/order_totals"
