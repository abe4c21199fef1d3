"""The S3-notification-shaped event the trigger Lambda takes, and how to build one.

Shape: ``{"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": …},
"object": {"key": <url-encoded key>, "size": …}}}], "pipeline": {"dataset": …,
"run_date": …, "lake_root": …}}``. Keys are URL-encoded as S3 sends them. The
``pipeline`` block says which run the files belong to; without it (a raw S3
notification) the run date is taken from the first key's landing date.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote_plus, unquote_plus


class BadEvent(ValueError):
    """The event is not one this handler understands."""


@dataclass(frozen=True)
class TriggerRequest:
    dataset: str
    run_date: str
    lake_root: str
    keys: list[str]


def build_event(lake_root: str, dataset: str, run_date: str, keys: list[str]) -> dict:
    """An S3-notification-shaped event for ``keys`` of one run."""
    bucket = lake_root[len("s3://") :] if lake_root.startswith("s3://") else "local-lake"
    records = [
        {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/")}},
        }
        for key in keys
    ]
    return {
        "Records": records,
        "pipeline": {"dataset": dataset, "run_date": run_date, "lake_root": lake_root},
    }


def parse_event(event: dict, default_lake_root: str | None) -> TriggerRequest:
    """Read the run and the (decoded) keys out of an event, or raise :class:`BadEvent`."""
    if not isinstance(event, dict) or not isinstance(event.get("Records"), list):
        raise BadEvent("event has no 'Records' list")
    keys, buckets = [], set()
    for record in event["Records"]:
        try:
            buckets.add(record["s3"]["bucket"]["name"])
            keys.append(unquote_plus(record["s3"]["object"]["key"]))
        except (KeyError, TypeError):
            raise BadEvent("a record has no s3.bucket.name / s3.object.key") from None
    run = event.get("pipeline") or {}
    lake_root = run.get("lake_root") or default_lake_root
    if not lake_root and len(buckets) == 1:
        lake_root = f"s3://{buckets.pop()}"
    if not lake_root:
        raise BadEvent("no lake root: set pipeline.lake_root or PIPELINE_LAKE_ROOT")
    dataset = run.get("dataset") or (keys[0].split("/")[1] if keys and "/" in keys[0] else "")
    run_date = run.get("run_date")
    if not dataset or not run_date:
        raise BadEvent("event needs pipeline.dataset and pipeline.run_date")
    return TriggerRequest(dataset=dataset, run_date=run_date, lake_root=lake_root, keys=keys)
