"""Sensor step: the not-yet-processed raw files of a run's logical date."""

from __future__ import annotations

import logging
from datetime import date

from trigger_lambda.contracts import contract_for
from trigger_lambda.ledger import processed_files
from trigger_lambda.storage import LocalStorage

from ..lake import Lake
from ..landing import RawFile, files_landed_on

log = logging.getLogger(__name__)


def list_raw_files(lake: Lake, dataset: str) -> list[RawFile]:
    """Every raw data file of ``dataset`` (by name suffix), with size and mtime."""
    contract = contract_for(dataset)
    prefix = lake.raw(dataset)
    if not lake.fs.exists(prefix):
        return []
    found = []
    for path, info in sorted(lake.fs.find(prefix, detail=True).items()):
        key = lake.key_of(path if "://" in lake.root else "/" + path.lstrip("/"))
        if info.get("type") == "file" and contract.accepts_name(key):
            found.append(RawFile(key=key, size=int(info["size"]), modified=float(info["mtime"])))
    return found


def find_new_files(lake: Lake, dataset: str, run_date: date) -> list[RawFile]:
    """Raw files landing on ``run_date`` not already processed by another date's run."""
    earlier = processed_files(LocalStorage(lake.root), dataset, str(run_date))
    done = {(f.key, f.size, f.modified) for f in earlier}
    new = files_landed_on(list_raw_files(lake, dataset), run_date, done)
    log.info("%s %s: %d new raw file(s)", dataset, run_date, len(new))
    for f in new:
        log.info("  new file %s (%d bytes)", f.key, f.size)
    return new
