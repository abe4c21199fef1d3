"""Sensor step: the not-yet-processed raw files of a run's logical date."""

from __future__ import annotations

import logging
from datetime import date

from trigger_lambda.contracts import contract_for
from trigger_lambda.ledger import processed_files
from trigger_lambda.storage import LocalStorage

from ..lake import Lake, UnsafeKeyError
from ..landing import RawFile, files_landed_on

log = logging.getLogger(__name__)


def list_raw_files(lake: Lake, dataset: str) -> list[RawFile]:
    """Every raw data file of ``dataset`` (by name suffix), with size and mtime.

    Odd entries are listed too, for the trigger Lambda to reject each with its reason
    (``bad_file``) while the rest of the landing goes on: names the pipeline does not
    process (a backslash, control characters), keys that cannot be addressed safely (S3
    allows ``..`` segments), and symlinks (a local lake): a link to a data file by name,
    and a link to a folder whatever its name, since the files behind it would otherwise
    vanish without a word.
    """
    contract = contract_for(dataset)
    prefix = lake.raw(dataset)
    if not lake.fs.exists(prefix):
        return []
    found = []
    for path, info in sorted(lake.fs.find(prefix, detail=True).items()):
        key = _listed_key(lake, path)
        linked_folder = info.get("islink") and lake.fs.isdir(path)
        listed = info.get("type") == "file" or info.get("islink")
        if listed and (contract.accepts_name(key) or linked_folder):
            found.append(RawFile(key=key, size=int(info["size"]), modified=float(info["mtime"])))
    return found


def _listed_key(lake: Lake, path: str) -> str:
    """The lake key of a listed path, as it is: an unsafe one is the Lambda's to reject."""
    full = path if "://" in lake.root else "/" + path.lstrip("/")
    try:
        return lake.key_of(full)
    except UnsafeKeyError:
        return full.split("://", 1)[-1][len(lake.root.split("://", 1)[-1]) + 1 :]


def find_new_files(lake: Lake, dataset: str, run_date: date) -> list[RawFile]:
    """Raw files landing on ``run_date`` not already processed by another date's run."""
    earlier = processed_files(LocalStorage(lake.root), dataset, str(run_date))
    done = {(f.key, f.size, f.modified) for f in earlier}
    new = files_landed_on(list_raw_files(lake, dataset), run_date, done)
    log.info("%s %s: %d new raw file(s)", dataset, run_date, len(new))
    for f in new:
        log.info("  new file %s (%d bytes)", f.key, f.size)
    return new
