"""The dashboard's data layer and its Vega-Lite specs, on a small lake made without Spark.

The lake: hand-made processed orders (two runs) and their ``order_totals`` aggregate (the
oracle's totals of the same rows, written unpartitioned as the Glue job writes it), both
crawled into the local catalog, the real summary SQL (which reads ``order_totals``)
published to ``enriched/`` by the Athena step, hand-written run records and
Data Docs pages, plus a made-up second dataset (``widgets``) that has summaries but no
runs, one of them a CSV. The expected summary contents are read straight from the
published Parquet with pyarrow, independently of the query layer the dashboard uses.
``build_lake`` is shared with ``tests/unit/test_dashboard_app.py`` (the Flask routes) and
``tests/integration/test_dashboard_browser.py``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.dashboard import sources as sources_module
from pipeline.dashboard.charts import (
    BAD,
    TOP_N,
    ChartSpec,
    choose_chart,
    column_kind,
    rejections_spec,
    summary_spec,
)
from pipeline.dashboard.data import DashboardData, summary_view, to_jsonable
from pipeline.datasets import DATASETS, DatasetSpec, UnknownDataset
from pipeline.lake import Lake
from pipeline.steps.athena import run_summaries
from pipeline.steps.crawl import crawl_table
from tests.oracle.orders_oracle import Order, order_totals
from tests.processed_schemas import ORDER_TOTALS_SCHEMA, ORDERS_SCHEMA

DATABASE = "lake"
XSS = '<img src=x onerror="window.__xss=1">'  # a customer id straight from a user's file
WIDGETS = DatasetSpec(
    name="widgets",
    job_script="glue_jobs/widgets_job.py",
    tables=("widgets",),
    summaries=("by_colour", "daily", "not_published"),
    description="A dataset with summaries but no runs yet.",
)
TEST_DATASETS = {"orders": DATASETS["orders"], "widgets": WIDGETS}

STATUSES = ("delivered", "shipped", "pending", "cancelled", "returned")


def _order(order_id: str, customer: str, day: date, status: str, price: str, line: int) -> dict:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "order_date": day,
        "status": status,
        "quantity": 1,
        "unit_price": Decimal(price),
        "country": "US",
        "updated_at": datetime(2024, 3, 1, 9, 0),
        "amount": Decimal(price),
        "order_month": day.strftime("%Y-%m"),
        "source_line": line,
    }


# Run 2024-03-01: 15 customers (more than TOP_N), January and February, every status.
FIRST_RUN = [
    _order(
        f"A{i:02d}",
        f"C{i:03d}",
        date(2024, 1 + i // 10, 1 + i % 10),
        STATUSES[i % 5],
        f"{i * 10}.00",
        i + 1,
    )
    for i in range(1, 16)
]
# Run 2024-03-02: March orders, one from a customer id carrying markup.
SECOND_RUN = [
    _order("B01", XSS, date(2024, 3, 2), "delivered", "999.99", 2),
    _order("B02", "C001", date(2024, 3, 3), "shipped", "5.50", 3),
]

# Every order id appears once across the runs, so each row is its order's latest version
# and the aggregate is the oracle's order_totals of all of them.
ORDER_FIELDS = tuple(Order.__dataclass_fields__)
assert len({r["order_id"] for r in FIRST_RUN + SECOND_RUN}) == len(FIRST_RUN + SECOND_RUN)
ORDER_TOTALS = order_totals(
    Order(**{name: row[name] for name in ORDER_FIELDS}) for row in FIRST_RUN + SECOND_RUN
)

RUNS = {
    "2024-03-02": {
        "dataset": "orders",
        "logical_date": "2024-03-02",
        "status": "success",
        "files": [
            {
                "key": "raw/orders/dt=2024-03-02/orders_1.csv",
                "rows_read": 9,
                "rows_valid": 2,
                "rows_rejected": 6,
                "rows_duplicate": 1,
                "rejections_by_reason": {"bad_date": 4, "bad_price": 1, XSS: 1},
            },
            {
                "key": "raw/orders/dt=2024-03-02/broken.csv",
                "rows_read": 0,
                "rows_valid": 0,
                "rows_rejected": 0,
                "rows_duplicate": 0,
                "rejections_by_reason": {},
                "reason": "bad_file",
                "detail": "missing required column(s): unit_price",
            },
        ],
        "totals": {
            "rows_read": 9,
            "rows_valid": 2,
            "rows_rejected": 6,
            "rows_duplicate": 1,
            "files": 2,
            "files_rejected": 1,
            "files_duplicate": 0,
        },
        "rejections_by_reason": {"bad_date": 4, "bad_price": 1, XSS: 1},
        "timings": {"sense_new_files": 0.01, "glue_job": 12.5, "validate": 30.25},
        "written_at": "2024-03-03T00:05:00+00:00",
        "validation": {
            "success": True,
            "statistics": {"evaluated_expectations": 20, "successful_expectations": 20},
        },
    },
    "2024-03-01": {
        "dataset": "orders",
        "logical_date": "2024-03-01",
        "status": "failed",
        "files": [],
        "totals": {"rows_read": 15, "rows_valid": 15, "rows_rejected": 0, "rows_duplicate": 0},
        "rejections_by_reason": {},
        "timings": {"sense_new_files": 0.02, "glue_job": 3.0},
        "error": "athena_summaries: <b>boom</b>",
    },
}
VALIDATION_PAGE = "validations/orders/2024-03-02/20240303T000400Z/lake-orders.html"


def _write_processed(root: Path, run_date: str, rows: list[dict]) -> None:
    folder = root / "processed" / "orders" / f"run_date={run_date}"
    folder.mkdir(parents=True)
    source_key = f"raw/orders/dt={run_date}/orders_1.csv"
    table = pa.Table.from_pylist([{**r, "source_key": source_key} for r in rows], ORDERS_SCHEMA)
    pq.write_table(table, folder / "part-00000.snappy.parquet")
    (folder / "_SUCCESS").write_bytes(b"")


def _write_order_totals(root: Path, rows: list[dict]) -> None:
    """``processed/order_totals/`` as the job's whole-table overwrite leaves it: part files
    directly in the table folder (no ``run_date`` partitions) and ``_SUCCESS``."""
    folder = root / "processed" / "order_totals"
    folder.mkdir(parents=True)
    table = pa.Table.from_pylist(rows, ORDER_TOTALS_SCHEMA)
    pq.write_table(table, folder / "part-00000-0000-c000.snappy.parquet")
    (folder / "_SUCCESS").write_bytes(b"")


def build_lake(root: Path) -> Lake:
    """The sample lake described in the module docstring."""
    lake = Lake(str(root))
    _write_processed(root, "2024-03-01", FIRST_RUN)
    _write_processed(root, "2024-03-02", SECOND_RUN)
    _write_order_totals(root, ORDER_TOTALS)
    for table in DATASETS["orders"].tables:  # as the pipeline's crawl step does
        crawl_table(lake, DATABASE, table)
    run_summaries(lake, DATABASE, "orders", DATASETS["orders"].sql_dir)
    for run_date, record in RUNS.items():
        folder = root / "_runs" / "orders" / run_date
        folder.mkdir(parents=True)
        (folder / "run.json").write_text(json.dumps(record), encoding="utf-8")
    (root / "_runs" / "orders" / "2024-02-29").mkdir()  # no run record: not a run
    (root / "_runs" / "orders" / "2024-02-28").mkdir()
    (root / "_runs" / "orders" / "2024-02-28" / "run.json").write_text("{not json")
    docs = root / "data_docs"
    (docs / VALIDATION_PAGE).parent.mkdir(parents=True)
    (docs / VALIDATION_PAGE).write_text("<html><body>validation of 2024-03-02</body></html>")
    (docs / "expectations").mkdir()
    (docs / "expectations" / "orders.html").write_text("<html><body>suite orders</body></html>")
    (docs / "index.html").write_text("<html><body><h1>Data Docs</h1></body></html>")
    (root / "_runs" / "secret.txt").write_text("not Data Docs")
    # widgets: a CSV summary with a header, a Parquet one with a date column, no runs.
    by_colour = root / "enriched" / "widgets" / "by_colour"
    by_colour.mkdir(parents=True)
    (by_colour / "part-00000.csv").write_text(
        "colour,widgets,weight\nred,3,1.5\nblue,7,2.25\ngreen,0,\n", encoding="utf-8"
    )
    (by_colour / "_SUCCESS").write_bytes(b"")
    daily = root / "enriched" / "widgets" / "daily"
    daily.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "day": pa.array([date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)]),
                "made": pa.array([4, None, 6], pa.int64()),
            }
        ),
        daily / "part-00000.parquet",
    )
    return lake


def expected_rows(root: Path, dataset: str, summary: str) -> pa.Table:
    """A published summary read directly with pyarrow (not through the query layer)."""
    return pq.read_table(root / "enriched" / dataset / summary / "part-00000.snappy.parquet")


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dashboard") / "lake"
    build_lake(root)
    return root


@pytest.fixture(scope="module")
def board(lake_dir: Path) -> DashboardData:
    return DashboardData(Lake(str(lake_dir)), DATABASE, TEST_DATASETS)


@pytest.fixture(scope="module")
def orders(board: DashboardData) -> dict:
    return board.dataset("orders")


def _summary(detail: dict, name: str) -> dict:
    return next(s for s in detail["summaries"] if s["name"] == name)


def points(chart: dict) -> list[dict]:
    """The ``{label, value}`` points a summary's Vega-Lite spec draws."""
    return chart["spec"]["data"]["values"]


# --- overview and runs -------------------------------------------------------------------
def test_overview_lists_every_dataset_with_its_latest_run(board: DashboardData) -> None:
    overview = board.overview()
    assert overview["database"] == DATABASE
    assert overview["data_docs"] == {"available": True, "url": "/data-docs/index.html"}
    assert [d["name"] for d in overview["datasets"]] == ["orders", "widgets"]
    orders, widgets = overview["datasets"]
    assert orders["run_count"] == 3  # 2024-02-29 has no run.json
    assert orders["latest_run"]["logical_date"] == "2024-03-02"
    assert orders["summaries"] == list(DATASETS["orders"].summaries)
    assert widgets["run_count"] == 0 and widgets["latest_run"] is None
    json.dumps(overview, allow_nan=False)


def test_runs_are_newest_first_with_counts_timings_and_reasons(board: DashboardData) -> None:
    runs = board.runs("orders")
    assert [(r["logical_date"], r["status"]) for r in runs] == [
        ("2024-03-02", "success"),
        ("2024-03-01", "failed"),
        ("2024-02-28", "unreadable"),
    ]
    latest, failed, unreadable = runs
    assert latest["totals"] == RUNS["2024-03-02"]["totals"]
    assert latest["rejections_by_reason"] == {XSS: 1, "bad_date": 4, "bad_price": 1}
    assert latest["timings"] == {"sense_new_files": 0.01, "glue_job": 12.5, "validate": 30.25}
    assert latest["total_seconds"] == 42.76
    assert latest["validation"] == {"success": True, "evaluated": 20, "successful": 20}
    assert latest["validation_url"] == "/data-docs/" + VALIDATION_PAGE
    # Missing counts read as 0; the error is kept as text.
    assert failed["totals"]["files"] == 0 and failed["totals"]["rows_read"] == 15
    assert failed["error"] == "athena_summaries: <b>boom</b>"
    assert failed["validation"] is None and failed["validation_url"] is None
    assert "error" in unreadable


def test_latest_run_carries_its_files(orders: dict) -> None:
    files = orders["latest_run"]["files"]
    assert [(f["key"], f["rows_read"], f["reason"]) for f in files] == [
        ("raw/orders/dt=2024-03-02/orders_1.csv", 9, None),
        ("raw/orders/dt=2024-03-02/broken.csv", 0, "bad_file"),
    ]
    assert files[1]["detail"] == "missing required column(s): unit_price"


def test_a_dataset_without_runs_or_results_still_answers(board: DashboardData) -> None:
    widgets = board.dataset("widgets")
    assert widgets["latest_run"] is None and widgets["runs"] == []
    assert widgets["tables"] == [{"name": "widgets", "catalogued": False}]
    assert _summary(widgets, "not_published")["available"] is False
    assert widgets["data_docs"] == {"index": "/data-docs/index.html", "suites": []}
    json.dumps(widgets, allow_nan=False)


def test_unknown_dataset_is_refused(board: DashboardData) -> None:
    with pytest.raises(UnknownDataset):
        board.dataset("nope")


# --- summaries, through the query layer --------------------------------------------------
@pytest.mark.parametrize("name", DATASETS["orders"].summaries)
def test_each_summary_has_its_columns_rows_and_exact_values(
    orders: dict, lake_dir: Path, name: str
) -> None:
    summary = _summary(orders, name)
    expected = expected_rows(lake_dir, "orders", name)
    assert summary["available"] and "error" not in summary
    assert summary["view"] == summary_view("orders", name) == f"enriched/orders/{name}"
    assert [c["name"] for c in summary["columns"]] == expected.column_names
    assert summary["row_count"] == expected.num_rows
    assert summary["truncated"] is False
    assert summary["rows"] == [to_jsonable(list(r.values())) for r in expected.to_pylist()]
    json.dumps(summary, allow_nan=False)


def test_money_stays_exact_in_tables(orders: dict) -> None:
    by_month = _summary(orders, "revenue_by_month")
    revenue = [c["name"] for c in by_month["columns"]].index("revenue")
    assert all(isinstance(row[revenue], str) for row in by_month["rows"])  # Decimal as text
    assert {c["name"]: c["kind"] for c in by_month["columns"]}["revenue"] == "number"


def test_sales_by_customer_charts_the_top_customers_by_revenue(
    orders: dict, lake_dir: Path
) -> None:
    chart = _summary(orders, "sales_by_customer")["chart"]
    rows = expected_rows(lake_dir, "orders", "sales_by_customer").to_pylist()
    assert len(rows) > TOP_N
    top = sorted(rows, key=lambda r: (-r["revenue"], r["customer_id"]))[:TOP_N]
    assert chart["kind"] == "bar" and chart["top"] == TOP_N
    assert points(chart) == [{"label": r["customer_id"], "value": float(r["revenue"])} for r in top]
    assert points(chart)[0]["label"] == XSS  # kept verbatim; the page shows it as text


def test_revenue_by_month_is_a_line_over_months(orders: dict, lake_dir: Path) -> None:
    chart = _summary(orders, "revenue_by_month")["chart"]
    rows = expected_rows(lake_dir, "orders", "revenue_by_month").to_pylist()
    assert chart["kind"] == "line" and (chart["label"], chart["value"]) == (
        "order_month",
        "revenue",
    )
    assert points(chart) == [
        {"label": r["order_month"], "value": float(r["revenue"])} for r in rows
    ]
    assert [p["label"] for p in points(chart)] == ["2024-01", "2024-02", "2024-03"]


def test_status_summary_bars_and_average_order_value_figures(orders: dict) -> None:
    status = _summary(orders, "status_summary")["chart"]
    assert status["kind"] == "bar" and status["top"] is None
    assert [p["label"] for p in points(status)] == sorted(STATUSES)
    assert sum(p["value"] for p in points(status)) == len(FIRST_RUN) + len(SECOND_RUN)
    aov = _summary(orders, "average_order_value")
    assert aov["chart"]["kind"] == "kpi" and aov["chart"]["spec"] is None
    assert aov["row_count"] == 1


def test_generic_charts_for_summaries_without_hints(board: DashboardData) -> None:
    widgets = board.dataset("widgets")
    by_colour = _summary(widgets, "by_colour")  # CSV with a header
    assert [c["name"] for c in by_colour["columns"]] == ["colour", "widgets", "weight"]
    assert by_colour["chart"]["kind"] == "bar"
    assert points(by_colour["chart"]) == [
        {"label": "red", "value": 3.0},
        {"label": "blue", "value": 7.0},
        {"label": "green", "value": 0.0},
    ]
    daily = _summary(widgets, "daily")  # a date label makes a line; a missing value stays
    assert daily["chart"]["kind"] == "line"
    assert points(daily["chart"]) == [
        {"label": "2024-03-01", "value": 4.0},
        {"label": "2024-03-02", "value": None},
        {"label": "2024-03-03", "value": 6.0},
    ]
    assert daily["rows"] == [["2024-03-01", 4], ["2024-03-02", None], ["2024-03-03", 6]]


def test_every_read_goes_through_the_trino_query_layer(
    board: DashboardData, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []
    real = sources_module.run_trino_sql

    def spy(connection, sql, database):
        seen.append(sql)
        return real(connection, sql, database)

    monkeypatch.setattr(sources_module, "run_trino_sql", spy)
    board.dataset("orders")
    assert any('FROM "enriched/orders/sales_by_customer"' in sql for sql in seen)
    assert any('FROM "orders"' in sql for sql in seen)  # the catalogued table


def test_catalog_tables_with_rows_per_partition(orders: dict) -> None:
    table, totals = orders["tables"]
    assert table["name"] == "orders" and table["catalogued"]
    assert table["columns"] == len(ORDERS_SCHEMA) and table["partition_keys"] == ["run_date"]
    assert table["partitions"] == 2
    assert table["rows"] == len(FIRST_RUN) + len(SECOND_RUN)
    assert table["rows_by_partition"] == [
        {"partition": "2024-03-02", "row_count": len(SECOND_RUN)},
        {"partition": "2024-03-01", "row_count": len(FIRST_RUN)},
    ]
    # The aggregate is one unpartitioned table: all its rows under no partition.
    assert totals["name"] == "order_totals" and totals["catalogued"] and "error" not in totals
    assert totals["columns"] == len(ORDER_TOTALS_SCHEMA) and totals["partition_keys"] == []
    assert totals["partitions"] == 0
    assert totals["rows"] == len(ORDER_TOTALS)
    assert totals["rows_by_partition"] == [{"partition": None, "row_count": len(ORDER_TOTALS)}]
    assert sum(row["orders"] for row in ORDER_TOTALS) == len(FIRST_RUN) + len(SECOND_RUN)
    assert orders["data_docs"] == {
        "index": "/data-docs/index.html",
        "suites": [{"table": "orders", "url": "/data-docs/expectations/orders.html"}],
    }


def test_a_broken_summary_reports_its_error_and_the_rest_still_load(tmp_path: Path) -> None:
    lake = build_lake(tmp_path / "lake")
    (tmp_path / "lake" / "enriched" / "widgets" / "daily" / "part-00000.parquet").write_bytes(
        b"not parquet"
    )
    widgets = DashboardData(lake, DATABASE, TEST_DATASETS).dataset("widgets")
    assert "error" in _summary(widgets, "daily")
    assert _summary(widgets, "by_colour")["chart"]["kind"] == "bar"


# --- pure helpers ------------------------------------------------------------------------
def test_to_jsonable_keeps_meaning() -> None:
    assert to_jsonable(Decimal("1.10")) == "1.10"
    assert to_jsonable(float("nan")) is None and to_jsonable(float("inf")) is None
    assert to_jsonable(date(2024, 3, 1)) == "2024-03-01"
    assert to_jsonable({"a": [Decimal("2"), b"\x01"]}) == {"a": ["2", "01"]}


def test_generic_chart_rule() -> None:
    text, number, day = "text", "number", "date"
    assert choose_chart("x", "s", [("k", text), ("n", number)], 3).kind == "bar"
    assert choose_chart("x", "s", [("k", text), ("n", number)], 30).top == TOP_N
    assert choose_chart("x", "s", [("d", day), ("n", number)], 30).kind == "line"
    assert choose_chart("x", "s", [("sale_month", text), ("n", number)], 3).kind == "line"
    assert choose_chart("x", "s", [("n", number), ("m", number)], 1).kind == "kpi"
    assert choose_chart("x", "s", [("n", number), ("m", number)], 5).kind == "none"
    assert choose_chart("x", "s", [("k", text)], 0).kind == "none"
    # A hint whose columns are missing falls back to the generic rule.
    fallback = choose_chart("orders", "status_summary", [("state", text), ("n", number)], 3)
    assert (fallback.kind, fallback.label, fallback.value) == ("bar", "state", "n")
    assert column_kind(pa.decimal128(38, 2)) == number
    assert column_kind(pa.timestamp("us")) == day


def test_data_docs_files_stay_inside_data_docs(board: DashboardData) -> None:
    assert board.data_docs_file("index.html").startswith(b"<html>")
    assert board.data_docs_file("../_runs/secret.txt") is None
    assert board.data_docs_file("/etc/passwd") is None
    assert board.data_docs_file("missing.html") is None


def test_data_docs_symlinks_out_of_data_docs_are_refused(tmp_path: Path) -> None:
    """Only regular files whose real path is inside data_docs/ are read (issue 17)."""
    lake = build_lake(tmp_path / "lake")
    outside = tmp_path / "shadow"
    outside.write_text("root:secret")
    docs = tmp_path / "lake" / "data_docs"
    (docs / "shadow.html").symlink_to(outside)
    (docs / "etc").symlink_to(tmp_path)  # a linked folder
    (docs / "inside.html").symlink_to(docs / "index.html")  # a link that stays inside
    board = DashboardData(lake, DATABASE, TEST_DATASETS)
    assert board.data_docs_file("shadow.html") is None
    assert board.data_docs_file("etc/shadow") is None
    assert board.data_docs_file("expectations") is None  # a folder
    assert board.data_docs_file("inside.html").startswith(b"<html>")
    assert (
        board.data_docs_file("expectations/orders.html")
        == b"<html><body>suite orders</body></html>"
    )


# --- Vega-Lite specs ---------------------------------------------------------------------
def test_bar_spec_keeps_the_points_order_and_titles_the_value() -> None:
    chart = ChartSpec("bar", "status", "orders", None, "orders by status")
    spec = summary_spec(chart, [{"label": "b", "value": 2.0}, {"label": "a", "value": 5.0}])
    assert spec["data"]["values"] == [{"label": "b", "value": 2.0}, {"label": "a", "value": 5.0}]
    assert spec["encoding"]["y"] == {
        "field": "label",
        "type": "nominal",
        "sort": None,  # the SQL's order (top N by value), not alphabetical
        "title": None,
        "axis": {"labelLimit": 180},
    }
    assert spec["encoding"]["x"]["title"] == "orders"
    assert spec["encoding"]["x"]["axis"] == {"tickMinStep": 1}  # counts: whole ticks
    money = summary_spec(chart, [{"label": "a", "value": 2.5}])
    assert money["encoding"]["x"]["axis"] == {}
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "text"]
    assert "$schema" not in spec  # the page names the mode; nothing that looks like a URL


def test_line_spec_breaks_at_missing_values() -> None:
    chart = ChartSpec("line", "day", "made", None, "made by day")
    spec = summary_spec(chart, [{"label": "d1", "value": 1.0}, {"label": "d2", "value": None}])
    assert spec["mark"]["type"] == "line" and spec["mark"]["point"]
    assert spec["mark"]["invalid"] == "break-paths-filter-domains"
    assert spec["encoding"]["x"]["field"] == "label" and spec["encoding"]["x"]["title"] == "day"
    assert spec["encoding"]["y"]["title"] == "made"


def test_no_spec_without_points_or_for_figures() -> None:
    assert summary_spec(ChartSpec("bar", "k", "v"), []) is None
    assert summary_spec(ChartSpec("kpi"), [{"label": "x", "value": 1}]) is None
    assert rejections_spec({}) is None


def test_rejections_spec_largest_reason_first(orders: dict) -> None:
    spec = rejections_spec({"b": 1, "a": 1, "c": 4})
    assert spec["data"]["values"] == [
        {"label": "c", "value": 4},
        {"label": "a", "value": 1},
        {"label": "b", "value": 1},
    ]
    assert spec["layer"][0]["mark"]["color"] == BAD
    assert orders["latest_run"]["rejections_chart"] == rejections_spec(
        RUNS["2024-03-02"]["rejections_by_reason"]
    )
