"""Event-driven runs: start a dataset's DAG when raw files land, not only on the clock.

- ``aws``: S3 ``ObjectCreated`` notifications for ``raw/`` go to SQS (Terraform output
  ``events_queue_url``); an Airflow Asset watched by the amazon provider's SQS trigger
  starts the DAG. The trigger drains up to ``max_messages x num_batches`` notifications
  per event, and the scheduler folds every event queued before a run starts into that one
  run, so many files landing together give one run.
- ``local``: :class:`LakeLandingTrigger` watches ``raw/<dataset>/`` in the lake folder and
  fires once the landing has been quiet for a while (a burst of files = one event).

Either way the daily timetable still runs (``AssetOrTimeSchedule``): a landing missed
while the triggerer was down is picked up by the next daily run.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

from airflow.sdk import Asset, AssetOrTimeSchedule, AssetWatcher, CronDataIntervalTimetable
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from ..config import Settings, setting
from ..lake import Lake


def _snapshot(folder: str) -> dict[str, tuple[int, float]]:
    found = {}
    for base, _dirs, names in os.walk(folder):
        for name in names:
            if not name.startswith((".", "_")):
                path = os.path.join(base, name)
                try:
                    stat = os.stat(path)
                except FileNotFoundError:
                    continue
                found[path] = (stat.st_size, stat.st_mtime)
    return found


class LakeLandingTrigger(BaseEventTrigger):
    """Fires when new files land in a local folder and then stay unchanged for a while."""

    def __init__(self, folder: str, poll_seconds: float = 5.0, quiet_seconds: float = 30.0) -> None:
        super().__init__()
        self.folder = folder
        self.poll_seconds = poll_seconds
        self.quiet_seconds = quiet_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "folder": self.folder,
                "poll_seconds": self.poll_seconds,
                "quiet_seconds": self.quiet_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        seen = await asyncio.to_thread(_snapshot, self.folder)
        while True:
            await asyncio.sleep(self.poll_seconds)
            current = await asyncio.to_thread(_snapshot, self.folder)
            if current == seen or not set(current.items()) - set(seen.items()):
                seen = current
                continue
            while True:  # debounce: wait until the landing is quiet
                await asyncio.sleep(self.quiet_seconds)
                settled = await asyncio.to_thread(_snapshot, self.folder)
                if settled == current:
                    break
                current = settled
            landed = sorted(set(current.items()) - set(seen.items()))
            seen = current
            yield TriggerEvent({"folder": self.folder, "files": len(landed), "first": landed[0][0]})


def landing_asset(dataset: str, settings: Settings) -> Asset | None:
    """The Asset whose watcher starts runs on landing, or None when events are off."""
    lake = Lake(settings.lake_root)
    if settings.target == "aws":
        queue_url = setting("events_queue_url", "")
        if not queue_url:
            return None
        from airflow.providers.amazon.aws.triggers.sqs import SqsSensorTrigger

        trigger = SqsSensorTrigger(
            sqs_queue=queue_url,
            aws_conn_id=settings.aws_conn_id,
            region_name=settings.aws_region,
            max_messages=10,
            num_batches=10,
            wait_time_seconds=20,
            waiter_delay=30,
        )
    else:
        if setting("event_driven", "false").lower() != "true":
            return None
        trigger = LakeLandingTrigger(
            folder=lake.raw(dataset), quiet_seconds=float(setting("landing_quiet_seconds", "30"))
        )
    watcher = AssetWatcher(name=f"{dataset}_landing", trigger=trigger)
    return Asset(
        name=f"{dataset}_raw_landing",
        uri=lake.raw(dataset) if settings.target == "aws" else f"file://{lake.raw(dataset)}",
        watchers=[watcher],
    )


def pipeline_schedule(dataset: str, settings: Settings):
    """Daily data intervals, plus landing events when configured."""
    daily = CronDataIntervalTimetable(setting("schedule", "@daily"), timezone="UTC")
    asset = landing_asset(dataset, settings)
    return daily if asset is None else AssetOrTimeSchedule(timetable=daily, assets=asset)
