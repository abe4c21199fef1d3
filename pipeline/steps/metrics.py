"""Pipeline metrics: a run record's figures as CloudWatch metric data, and their publisher.

Every run record carries them (``run.json`` ``metrics``: the namespace and exactly the
metric data published), so the local target shows the same figures the aws target puts
into CloudWatch, where ``infra/terraform/modules/monitoring`` charts them on a dashboard
and alarms on the rejected share and on a missing daily run.

Per dataset (dimension ``Dataset``): ``RowsRead``, ``RowsValid``, ``RowsRejected``,
``RowsDuplicate``, ``Files``, ``RejectedShare`` (percent of rows read; absent when none
were read), ``RunSucceeded``/``RunFailed``/``RunSkipped`` (1 or 0), and ``StepSeconds`` per
step (dimensions ``Dataset`` and ``Step``). Timestamped when the record was written, not at
the logical date: CloudWatch takes data points at most two weeks old, and a backfill of
older dates must still publish (its figures count on the day the backfill ran).

At 1 TB a day: one ``PutMetricData`` call per run (about 20 data points; the API takes
1,000 per call), whatever the data volume.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from ..config import setting

log = logging.getLogger(__name__)
COUNTS = {
    "RowsRead": "rows_read",
    "RowsValid": "rows_valid",
    "RowsRejected": "rows_rejected",
    "RowsDuplicate": "rows_duplicate",
    "Files": "files",
}
STATUSES = {"RunSucceeded": "success", "RunFailed": "failed", "RunSkipped": "skipped"}
REJECTED_SHARE, STEP_SECONDS = "RejectedShare", "StepSeconds"
METRIC_NAMES = (*COUNTS, REJECTED_SHARE, *STATUSES, STEP_SECONDS)
MAX_DATA_PER_CALL = 1000  # PutMetricData


def namespace() -> str:
    return setting("metrics_namespace", "GluePipeline")


def metric_data(record: dict) -> list[dict]:
    """CloudWatch ``MetricData`` entries for one run record."""
    written = record.get("written_at")
    when = datetime.fromisoformat(written) if written else datetime.now(tz=UTC)
    stamp = when.isoformat(timespec="seconds")
    dataset = [{"Name": "Dataset", "Value": record["dataset"]}]
    totals = record.get("totals") or {}

    def point(name: str, value: float, unit: str, dimensions=dataset) -> dict:
        return {
            "MetricName": name,
            "Dimensions": dimensions,
            "Timestamp": stamp,
            "Value": float(value),
            "Unit": unit,
        }

    data = [point(name, totals.get(field, 0), "Count") for name, field in COUNTS.items()]
    if totals.get("rows_read"):
        share = 100.0 * totals.get("rows_rejected", 0) / totals["rows_read"]
        data.append(point(REJECTED_SHARE, round(share, 4), "Percent"))
    for name, status in STATUSES.items():
        data.append(point(name, int(record.get("status") == status), "Count"))
    for step, seconds in (record.get("timings") or {}).items():
        step_dimensions = [*dataset, {"Name": "Step", "Value": step}]
        data.append(point(STEP_SECONDS, seconds, "Seconds", step_dimensions))
    return data


def with_metrics(record: dict) -> dict:
    """The record with its ``metrics`` section (what is, or would be, published)."""
    return {**record, "metrics": {"namespace": namespace(), "metric_data": metric_data(record)}}


def publish(record: dict, put_metric_data: Callable[..., object]) -> int:
    """Put the record's metrics (``put_metric_data``: a boto3 CloudWatch client's method).

    A failure only logs a warning: the run's outcome is in its record already, and a
    CloudWatch hiccup must not turn a good run into a failed one (the missing-run alarm
    then says that figures are missing).
    """
    metrics = record.get("metrics") or with_metrics(record)["metrics"]
    data = [
        {**entry, "Timestamp": datetime.fromisoformat(entry["Timestamp"])}
        for entry in metrics["metric_data"]
    ]
    try:
        for start in range(0, len(data), MAX_DATA_PER_CALL):
            put_metric_data(
                Namespace=metrics["namespace"], MetricData=data[start : start + MAX_DATA_PER_CALL]
            )
    except Exception as exc:
        log.warning("could not publish the run's metrics to CloudWatch: %s", exc)
        return 0
    log.info("published %d metric data to CloudWatch %s", len(data), metrics["namespace"])
    return len(data)
