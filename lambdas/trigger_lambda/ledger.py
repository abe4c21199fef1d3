"""Which raw files earlier runs already processed, read from their run records.

The run records (``_runs/<dataset>/<date>/run.json``) are the ledger: a file counts as
processed when a *successful* run of another date lists it. Re-running a date
reprocesses that date's files and replaces its output, so its own record is skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .storage import Storage

RUN_RECORD = "run.json"


@dataclass(frozen=True)
class ProcessedFile:
    key: str
    sha256: str
    size: int
    modified: float
    run_date: str


def processed_files(storage: Storage, dataset: str, exclude_run_date: str) -> list[ProcessedFile]:
    """Files listed by successful runs of ``dataset`` other than ``exclude_run_date``."""
    found: list[ProcessedFile] = []
    for obj in storage.list(f"_runs/{dataset}"):
        parts = obj.key.split("/")
        if len(parts) != 4 or parts[3] != RUN_RECORD or parts[2] == exclude_run_date:
            continue
        with storage.open_read(obj.key) as stream:
            record = json.loads(stream.read())
        if record.get("status") != "success":
            continue
        for entry in record.get("files", []):
            # only files whose rows were used: a duplicate_file entry is a copy, not an original
            if entry.get("sha256") and not entry.get("reason"):
                found.append(
                    ProcessedFile(
                        key=entry["key"],
                        sha256=entry["sha256"],
                        size=int(entry.get("size", -1)),
                        modified=float(entry.get("modified", -1)),
                        run_date=parts[2],
                    )
                )
    return found
