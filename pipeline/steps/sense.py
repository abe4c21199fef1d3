"""Sensor step: the not-yet-processed raw files of a run's logical date."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import date

from trigger_lambda.contracts import contract_for
from trigger_lambda.ledger import processed_files
from trigger_lambda.storage import LocalStorage

from ..lake import Lake, UnsafeKeyError
from ..landing import RawFile, changed_since_processed, files_landed_on

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
    return sense_files(lake, dataset, run_date)[0]


def sense_files(lake: Lake, dataset: str, run_date: date) -> tuple[list[RawFile], list[dict]]:
    """The new files of ``run_date``, and warnings for processed files re-landed since
    (:func:`changed_file_warnings`), from one listing and one read of the ledger."""
    earlier = processed_files(LocalStorage(lake.root), dataset, str(run_date))
    done = {(f.key, f.size, f.modified) for f in earlier}
    listing = list_raw_files(lake, dataset)
    new = files_landed_on(listing, run_date, done)
    changed = changed_file_warnings(listing, earlier, lambda key: _sha256(lake, key))
    log.info("%s %s: %d new raw file(s)", dataset, run_date, len(new))
    for f in new:
        log.info("  new file %s (%d bytes)", f.key, f.size)
    return new, changed


def changed_file_warnings(
    listing: list[RawFile], earlier: list, sha256_of: Callable[[str], str]
) -> list[dict]:
    """One warning per processed key whose content changed since, with both checksums.

    Only re-landed keys are read again (to checksum them), so the cost grows with the
    files that changed, not with the history; on S3 that is one GET per changed object.
    """
    ledger = [(f.key, f.size, f.modified, f.sha256, f.run_date) for f in earlier]
    warnings = []
    for current, processed_sha256, run_date in changed_since_processed(listing, ledger):
        try:
            current_sha256 = sha256_of(current.key)
        except OSError as exc:  # gone again, or unreadable: say so rather than fail
            current_sha256 = f"unreadable ({exc})"
        if current_sha256 == processed_sha256:
            continue  # touched, not changed
        warnings.append(
            {
                "key": current.key,
                "warning": "changed_after_processing",
                "processed_by": run_date,
                "processed_sha256": processed_sha256,
                "current_sha256": current_sha256,
                "detail": f"overwritten since the {run_date} run processed it; re-run "
                f"{run_date} to process the new content",
            }
        )
        log.warning("%s changed after the %s run processed it", current.key, run_date)
    return warnings


def _sha256(lake: Lake, key: str) -> str:
    digest = hashlib.sha256()
    with lake.fs.open(lake.uri(key), "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
