"""Trigger step, local target: invoke the Lambda handler in-process with an S3 event."""

from __future__ import annotations

import logging
from datetime import date

from trigger_lambda.events import build_event
from trigger_lambda.handler import handler

from ..lake import Lake

log = logging.getLogger(__name__)


class TriggerFailed(RuntimeError):
    """The Lambda refused the event."""


def invoke_trigger_local(lake: Lake, dataset: str, run_date: date, keys: list[str]) -> dict:
    """Run the real handler on an S3-notification-shaped event; return its response."""
    event = build_event(lake.root, dataset, str(run_date), keys)
    response = handler(event, None)
    if not response.get("ok"):
        raise TriggerFailed(f"trigger Lambda refused the event: {response.get('error')}")
    log.info("trigger: %s, manifest %s", response["counts"], response["manifest_uri"])
    return response
