"""The dashboard's Athena source (aws target) against moto, and its paging with a stub.

moto runs no SQL: each query gets the next result of a queue set through
``/moto-api/static/athena/query-results`` (empty when the queue is empty), so these tests
check what is sent (query text, workgroup, database), how results are typed, and the
Glue reads; the paging and failure paths, which moto does not produce, run on botocore's
Stubber.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import requests
from botocore.stub import Stubber
from moto_support import ACCOUNT, REGION, client

from pipeline.dashboard.data import DashboardData
from pipeline.dashboard.server import source_for_target
from pipeline.dashboard.sources import AthenaQueryError, AthenaSource
from pipeline.datasets import DATASETS
from pipeline.lake import Lake
from pipeline.steps.athena import summary_sql_files

pytestmark = pytest.mark.aws

DATABASE = "lake_dashboard"


def _column(name: str, kind: str, precision: int = 0, scale: int = 0) -> dict:
    return {
        "CatalogName": "hive",
        "SchemaName": DATABASE,
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": kind,
        "Precision": precision,
        "Scale": scale,
        "Nullable": "UNKNOWN",
        "CaseSensitive": False,
    }


def _rows(*rows: list[str | None]) -> list[dict]:
    return [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]


def queue_results(endpoint: str, *results: dict) -> None:
    """The results moto hands out to the next queries, in order."""
    response = requests.post(
        f"{endpoint}/moto-api/static/athena/query-results",
        json={"account_id": ACCOUNT, "region": REGION, "results": list(results)},
    )
    response.raise_for_status()


@pytest.fixture
def workgroup(aws_env) -> str:
    name = f"dashboard-{uuid.uuid4().hex[:8]}"
    client(aws_env, "athena").create_work_group(Name=name)
    return name


def executions(endpoint: str, workgroup: str) -> list[dict]:
    """The queries started in ``workgroup``, oldest first."""
    athena = client(endpoint, "athena")
    ids = athena.list_query_executions(WorkGroup=workgroup)["QueryExecutionIds"]
    found = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    return sorted(found, key=lambda e: e["Status"]["SubmissionDateTime"])


def test_query_runs_in_the_workgroup_and_database_and_types_the_cells(
    aws_env: str, workgroup: str
) -> None:
    columns = [
        _column("label", "varchar"),
        _column("orders", "bigint"),
        _column("revenue", "decimal", 38, 2),
        _column("day", "date"),
        _column("share", "double"),
    ]
    queue_results(
        aws_env,
        {
            "column_info": columns,
            "rows": _rows(
                ["label", "orders", "revenue", "day", "share"],  # Athena's header row
                ["a", "3", "10.05", "2024-03-01", "0.5"],
                ["b", None, None, None, None],
            ),
        },
    )
    sql = 'SELECT label, orders FROM "order_totals" LIMIT 2'
    table = AthenaSource(DATABASE, workgroup, REGION).query(sql)
    assert table.to_pylist() == [
        {
            "label": "a",
            "orders": 3,
            "revenue": Decimal("10.05"),
            "day": date(2024, 3, 1),
            "share": 0.5,
        },
        {"label": "b", "orders": None, "revenue": None, "day": None, "share": None},
    ]
    assert str(table.schema.field("revenue").type) == "decimal128(38, 2)"
    (execution,) = executions(aws_env, workgroup)
    assert execution["Query"] == sql
    assert execution["WorkGroup"] == workgroup
    assert execution["QueryExecutionContext"]["Database"] == DATABASE


def test_a_summary_on_athena_is_its_sql_file_run_live(aws_env: str, workgroup: str) -> None:
    """The dashboard's three summary queries, over the summary's own SQL as a subquery."""
    queue_results(
        aws_env,
        {"column_info": [_column("row_count", "bigint")], "rows": _rows(["row_count"], ["2"])},
        {
            "column_info": [_column("status", "varchar"), _column("orders", "bigint")],
            "rows": _rows(["status", "orders"], ["delivered", "5"], ["shipped", "2"]),
        },
        {
            "column_info": [_column("label", "varchar"), _column("value", "double")],
            "rows": _rows(["label", "value"], ["delivered", "5.0"], ["shipped", "2.0"]),
        },
    )
    lake = Lake(f"s3://dashboard-{uuid.uuid4().hex[:8]}")
    source = AthenaSource(DATABASE, workgroup, REGION)
    board = DashboardData(lake, DATABASE, source=lambda: source)
    summary = board.summary(source, DATASETS["orders"], "status_summary")
    assert "error" not in summary, summary.get("error")
    assert summary["row_count"] == 2 and summary["rows"] == [["delivered", 5], ["shipped", 2]]
    assert summary["chart"]["spec"]["data"]["values"] == [
        {"label": "delivered", "value": 5.0},
        {"label": "shipped", "value": 2.0},
    ]
    summary_sql = summary_sql_files(DATASETS["orders"].sql_dir)["status_summary"].strip()
    relation = f'(\n{summary_sql.rstrip(";")}\n) AS "status_summary"'
    assert [e["Query"] for e in executions(aws_env, workgroup)] == [
        f"SELECT count(*) AS row_count FROM {relation}",
        f"SELECT * FROM {relation} LIMIT 200",
        'SELECT CAST("status" AS VARCHAR) AS label, CAST("orders" AS DOUBLE) AS value '
        f'FROM {relation} WHERE "orders" IS NOT NULL',
    ]
    assert source.summary_relation(DATASETS["orders"], "no_such_summary") is None


def test_table_definitions_come_from_glue_with_every_partition(aws_env: str) -> None:
    glue = client(aws_env, "glue")
    database = f"dash_{uuid.uuid4().hex[:8]}"
    glue.create_database(DatabaseInput={"Name": database})
    descriptor = {
        "Columns": [{"Name": "order_id", "Type": "string"}],
        "Location": "s3://lake/processed/orders/",
    }
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": "orders",
            "StorageDescriptor": descriptor,
            "PartitionKeys": [{"Name": "run_date", "Type": "string"}],
        },
    )
    for day in ("2024-03-01", "2024-03-02", "2024-03-03"):
        glue.create_partition(
            DatabaseName=database,
            TableName="orders",
            PartitionInput={
                "Values": [day],
                "StorageDescriptor": {
                    **descriptor,
                    "Location": f"s3://lake/processed/orders/run_date={day}/",
                },
            },
        )
    source = AthenaSource(database, "unused", REGION)
    definition = source.table_definition("orders")
    assert definition["Name"] == "orders"
    assert [k["Name"] for k in definition["PartitionKeys"]] == ["run_date"]
    assert sorted(p["Values"][0] for p in definition["Partitions"]) == [
        "2024-03-01",
        "2024-03-02",
        "2024-03-03",
    ]
    assert source.table_definition("never_crawled") is None


def test_the_aws_target_picks_athena(
    aws_env: str, workgroup: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PIPELINE_SKIP_AIRFLOW_VARIABLES", "1")
    monkeypatch.setenv("PIPELINE_TARGET", "aws")
    monkeypatch.setenv("PIPELINE_ATHENA_WORKGROUP", workgroup)
    monkeypatch.setenv("PIPELINE_AWS_REGION", REGION)
    factory, where = source_for_target(Lake("s3://any-bucket"), DATABASE)
    source = factory()
    assert isinstance(source, AthenaSource)
    assert (source.workgroup, source.database) == (workgroup, DATABASE)
    assert where == f"Athena workgroup {workgroup!r} ({REGION})"
    monkeypatch.setenv("PIPELINE_TARGET", "local")
    _, where = source_for_target(Lake(str(tmp_path)), DATABASE)
    assert where == "DuckDB over the local catalog"


# --- what moto does not do: paging, waiting, failing ------------------------------------
def _stubbed() -> tuple[AthenaSource, Stubber, list[float]]:
    athena = boto3.client(
        "athena", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    slept: list[float] = []
    source = AthenaSource(DATABASE, "wg", REGION, athena=athena, glue=object(), sleep=slept.append)
    return source, Stubber(athena), slept


def _status(state: str, reason: str | None = None) -> dict:
    status = {"State": state, **({"StateChangeReason": reason} if reason else {})}
    return {"QueryExecution": {"QueryExecutionId": "q1", "Status": status}}


def test_results_are_read_page_by_page_after_polling() -> None:
    source, stub, slept = _stubbed()
    start = {"QueryString": "SELECT n", "QueryExecutionContext": {"Database": DATABASE}}
    stub.add_response(
        "start_query_execution", {"QueryExecutionId": "q1"}, {**start, "WorkGroup": "wg"}
    )
    for state in ("QUEUED", "RUNNING", "RUNNING", "SUCCEEDED"):
        stub.add_response("get_query_execution", _status(state), {"QueryExecutionId": "q1"})
    meta = {"ColumnInfo": [{"Name": "n", "Type": "integer"}]}
    stub.add_response(
        "get_query_results",
        {
            "ResultSet": {"Rows": _rows(["n"], ["1"], ["2"]), "ResultSetMetadata": meta},
            "NextToken": "page2",
        },
        {"QueryExecutionId": "q1", "MaxResults": 1000},
    )
    stub.add_response(
        "get_query_results",
        {"ResultSet": {"Rows": _rows(["3"]), "ResultSetMetadata": meta}},
        {"QueryExecutionId": "q1", "MaxResults": 1000, "NextToken": "page2"},
    )
    with stub:
        table = source.query("SELECT n")
    stub.assert_no_pending_responses()
    assert table.column("n").to_pylist() == [1, 2, 3]  # header skipped on page 1 only
    assert slept == [0.2, 0.4, 0.8]  # backs off while the query runs


def test_a_failed_query_is_one_clear_error() -> None:
    source, stub, _ = _stubbed()
    stub.add_response("start_query_execution", {"QueryExecutionId": "q1"})
    stub.add_response(
        "get_query_execution", _status("FAILED", "TABLE_NOT_FOUND: line 1:15: Table x")
    )
    with stub, pytest.raises(AthenaQueryError, match="q1 failed: TABLE_NOT_FOUND"):
        source.query("SELECT * FROM x")
