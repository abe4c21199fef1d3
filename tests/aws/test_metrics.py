"""Pipeline metrics: a run record's figures as CloudWatch metric data, put and read back
on moto's server; a CloudWatch failure never fails the run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from moto_support import client

from pipeline.steps import metrics

pytestmark = pytest.mark.aws


def run_record(**overrides) -> dict:
    record = {
        "dataset": "orders",
        "logical_date": "2024-03-01",
        "status": "success",
        "totals": {
            "rows_read": 200,
            "rows_valid": 180,
            "rows_rejected": 10,
            "rows_duplicate": 10,
            "files": 4,
        },
        "timings": {"glue_job": 31.5, "validate": 12.25},
        "written_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    return {**record, **overrides}


def by_name(data: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in data:
        found.setdefault(entry["MetricName"], []).append(entry)
    return found


def test_the_figures_of_a_run_record():
    data = by_name(metrics.metric_data(run_record()))
    assert set(data) == set(metrics.METRIC_NAMES)
    value = {name: entries[0]["Value"] for name, entries in data.items() if name != "StepSeconds"}
    assert value == {
        "RowsRead": 200,
        "RowsValid": 180,
        "RowsRejected": 10,
        "RowsDuplicate": 10,
        "Files": 4,
        "RejectedShare": 5.0,
        "RunSucceeded": 1,
        "RunFailed": 0,
        "RunSkipped": 0,
    }
    steps = {e["Dimensions"][1]["Value"]: e["Value"] for e in data["StepSeconds"]}
    assert steps == {"glue_job": 31.5, "validate": 12.25}
    assert data["RejectedShare"][0]["Unit"] == "Percent"
    every = [entry for entries in data.values() for entry in entries]
    assert all(e["Dimensions"][0] == {"Name": "Dataset", "Value": "orders"} for e in every)


def test_a_skipped_run_has_no_rejected_share_and_counts_as_skipped():
    data = by_name(metrics.metric_data(run_record(status="skipped", totals={}, timings={})))
    assert "RejectedShare" not in data and "StepSeconds" not in data
    assert data["RunSkipped"][0]["Value"] == 1 and data["RunSucceeded"][0]["Value"] == 0


def test_metrics_put_on_cloudwatch_read_back(aws_env, monkeypatch):
    namespace = f"GluePipelineTest{datetime.now().microsecond}"
    monkeypatch.setenv("PIPELINE_METRICS_NAMESPACE", namespace)
    record = metrics.with_metrics(run_record())
    assert record["metrics"]["namespace"] == namespace
    cloudwatch = client(aws_env, "cloudwatch")
    assert metrics.publish(record, cloudwatch.put_metric_data) == len(
        record["metrics"]["metric_data"]
    )
    listed = cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
    assert {m["MetricName"] for m in listed} == set(metrics.METRIC_NAMES)
    now = datetime.now(tz=UTC)
    stats = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName="RowsRejected",
        Dimensions=[{"Name": "Dataset", "Value": "orders"}],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=3600,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [p["Sum"] for p in stats] == [10.0]


def test_a_cloudwatch_failure_only_warns(caplog):
    def refuse(**_):
        raise RuntimeError("throttled")

    assert metrics.publish(run_record(), refuse) == 0
    assert "could not publish the run's metrics" in caplog.text
