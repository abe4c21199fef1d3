"""Event-driven runs: a burst of landed files is one event; the aws target watches SQS."""

from __future__ import annotations

import asyncio
import threading
import time

from pipeline.config import Settings
from pipeline.orchestration.events import LakeLandingTrigger, landing_asset, pipeline_schedule


async def first_event(trigger: LakeLandingTrigger, timeout: float):
    stream = trigger.run()
    try:
        return await asyncio.wait_for(stream.__anext__(), timeout)
    finally:
        await stream.aclose()


def test_a_burst_of_files_is_one_event_after_the_landing_goes_quiet(tmp_path):
    folder = tmp_path / "raw" / "orders"
    folder.mkdir(parents=True)
    (folder / "old.csv").write_text("already there")
    trigger = LakeLandingTrigger(str(folder), poll_seconds=0.1, quiet_seconds=0.5)

    def land_burst():
        time.sleep(0.3)
        for i in range(20):
            (folder / f"dt=2024-03-01/part_{i}.csv").parent.mkdir(exist_ok=True)
            (folder / f"dt=2024-03-01/part_{i}.csv").write_text("x")
            time.sleep(0.02)

    threading.Thread(target=land_burst).start()
    event = asyncio.run(first_event(trigger, timeout=10))
    assert event.payload["files"] == 20


def test_trigger_serialises_for_the_triggerer(tmp_path):
    path, kwargs = LakeLandingTrigger(str(tmp_path), quiet_seconds=7).serialize()
    assert path == "pipeline.orchestration.events.LakeLandingTrigger"
    assert LakeLandingTrigger(**kwargs).quiet_seconds == 7


def test_local_events_are_opt_in(monkeypatch):
    monkeypatch.delenv("PIPELINE_EVENT_DRIVEN", raising=False)
    assert landing_asset("orders", Settings.load()) is None
    monkeypatch.setenv("PIPELINE_EVENT_DRIVEN", "true")
    asset = landing_asset("orders", Settings.load())
    assert isinstance(asset.watchers[0].trigger, LakeLandingTrigger)


def test_aws_target_watches_the_sqs_queue_with_the_providers_trigger(monkeypatch):
    from airflow.providers.amazon.aws.triggers.sqs import SqsSensorTrigger
    from airflow.sdk import AssetOrTimeSchedule

    monkeypatch.setenv("PIPELINE_TARGET", "aws")
    monkeypatch.setenv("PIPELINE_LAKE_ROOT", "s3://lake-bucket")
    monkeypatch.setenv(
        "PIPELINE_EVENTS_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/1/raw-events"
    )
    settings = Settings.load()
    schedule = pipeline_schedule("orders", settings)
    assert isinstance(schedule, AssetOrTimeSchedule)
    trigger = landing_asset("orders", settings).watchers[0].trigger
    assert isinstance(trigger, SqsSensorTrigger)
    assert (
        trigger.sqs_queue.endswith("/raw-events")
        and trigger.max_messages * trigger.num_batches >= 100
    )
