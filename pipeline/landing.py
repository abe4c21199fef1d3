"""Landing dates of raw files, and which files a run for a logical date must process.

A file's landing date is the date in its key (``dt=YYYY-MM-DD/`` or ``YYYY/MM/DD/``)
when there is one, else its modification time in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

_DT_SEGMENT = re.compile(r"(?:^|/)dt=(\d{4})-(\d{2})-(\d{2})(?:/|$)")
_YMD_SEGMENTS = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)")


@dataclass(frozen=True)
class RawFile:
    key: str
    size: int
    modified: float  # epoch seconds

    def as_dict(self) -> dict:
        return asdict(self)


def date_in_key(key: str) -> date | None:
    """The landing date written in a key, if it holds a valid one."""
    for pattern in (_DT_SEGMENT, _YMD_SEGMENTS):
        match = pattern.search(key)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                continue
    return None


def landing_date(key: str, modified: float) -> date:
    """The date a raw file landed: from its key, else its UTC modification time."""
    return date_in_key(key) or datetime.fromtimestamp(modified, tz=UTC).date()


def files_landed_on(
    files: Iterable[RawFile],
    run_date: date,
    already_processed: Iterable[tuple[str, int, float]] = (),
) -> list[RawFile]:
    """Files landing on ``run_date`` that no earlier run processed, oldest first.

    ``already_processed`` holds ``(key, size, modified)`` of files recorded by
    successful runs of other dates; the same key with new content is a new file.
    """
    seen = set(already_processed)
    chosen = [
        f
        for f in files
        if landing_date(f.key, f.modified) == run_date and (f.key, f.size, f.modified) not in seen
    ]
    return sorted(chosen, key=lambda f: (f.modified, f.key))


def changed_since_processed(
    files: Iterable[RawFile], processed: Iterable[tuple[str, int, float, str, str]]
) -> list[tuple[RawFile, str, str]]:
    """Keys a successful run processed that now hold other bytes: ``(file now, processed
    sha256, date of the run that processed it)`` for each.

    ``processed`` holds ``(key, size, modified, sha256, run_date)`` from the ledger. A key
    whose size or modification time moved was overwritten in place (re-landed); its date's
    outputs still hold the old content, and no later date picks it up (its landing date
    has passed), so each run reports it until the date is re-run.
    """
    now = {f.key: f for f in files}
    changed = []
    for key, size, modified, sha256, run_date in processed:
        current = now.get(key)
        if current is not None and (current.size, current.modified) != (size, modified):
            changed.append((current, sha256, run_date))
    return changed
