"""Lambda entry point: preflight the run's files, quarantine bad ones, write the manifest.

Returns the Glue job arguments for the run. The manifest
(``_runs/<dataset>/<date>/manifest.json``) lists every file with its checksum and
verdict: ``accepted``, ``bad_file`` (copied to ``quarantine/<dataset>/files/``) or
``duplicate_file`` (same bytes as a file already processed; counted, not used).
"""

from __future__ import annotations

import json
import logging
import os
import time

from .contracts import contract_for, name_problem
from .events import BadEvent, parse_event
from .ledger import processed_files
from .preflight import DEFAULT_MAX_BYTES, PreflightResult, preflight
from .storage import ObjectInfo, Storage, UnsafeKeyError, check_key, stat, storage_for

log = logging.getLogger("trigger_lambda")
log.setLevel(logging.INFO)

ACCEPTED, BAD_FILE, DUPLICATE_FILE = "accepted", "bad_file", "duplicate_file"


def quarantine_key(dataset: str, run_date: str, key: str) -> str:
    """Where a whole bad file is copied: its key below ``raw/<dataset>/`` is kept."""
    prefix = f"raw/{dataset}/"
    relative = key[len(prefix) :] if key.startswith(prefix) else key
    return f"quarantine/{dataset}/files/run_date={run_date}/{relative}"


def inspect(storage: Storage, key: str) -> tuple[ObjectInfo, str | None]:
    """The object under ``key`` and, when it must not be opened at all, why.

    A symlink (local lakes) is never followed: it could point anywhere on the machine.
    A key with ``.``/``..``/empty segments (S3 allows them) cannot be addressed safely.
    Both are ``bad_file`` entries of the manifest, not copied to quarantine.
    """
    try:
        info = stat(storage, check_key(key))
    except UnsafeKeyError:
        return ObjectInfo(key, 0, 0.0), "unsafe key ('.', '..' or empty segment): not read"
    if info.symlink:
        return info, "a symbolic link, not followed: put the file itself under raw/"
    return info, None


def handler(event: dict, context: object = None) -> dict:
    """Preflight every file in ``event`` and write the run's manifest."""
    started = time.monotonic()
    try:
        request = parse_event(event, os.environ.get("PIPELINE_LAKE_ROOT"))
        contract = contract_for(request.dataset)
    except (BadEvent, ValueError) as exc:
        log.error("rejected event: %s", exc)
        return {"ok": False, "error": str(exc)}
    storage = storage_for(request.lake_root)
    max_bytes = int(os.environ.get("PIPELINE_MAX_FILE_BYTES", DEFAULT_MAX_BYTES))
    earlier = {f.sha256: f.key for f in processed_files(storage, request.dataset, request.run_date)}

    inspected = sorted(
        (inspect(storage, key) for key in dict.fromkeys(request.keys)),
        key=lambda pair: (pair[0].modified, pair[0].key),
    )
    seen: dict[str, str] = {}
    entries = []
    for order, (info, unreadable) in enumerate(inspected):
        if unreadable:  # never opened: a link or a key that cannot be addressed safely
            result = PreflightResult(info.key, info.size, info.modified, ok=False)
            result.detail = unreadable
        else:
            result = preflight(storage, info, contract, max_bytes)
            problem = name_problem(info.key)
            if problem:
                result.ok, result.detail = False, problem
        entry = {
            "key": info.key,
            "order": order,
            "size": info.size,
            "modified": info.modified,
            "sha256": result.sha256,
            "status": ACCEPTED,
            "ignored_columns": result.ignored_columns,
        }
        if not result.ok:
            entry.update(status=BAD_FILE, reason=BAD_FILE, detail=result.detail)
            if not unreadable:
                storage.copy(info.key, quarantine_key(request.dataset, request.run_date, info.key))
            log.warning("bad_file %s: %s", info.key, result.detail)
        elif result.sha256 in earlier or result.sha256 in seen:
            original = earlier.get(result.sha256) or seen[result.sha256]
            entry.update(status=DUPLICATE_FILE, reason=DUPLICATE_FILE, duplicate_of=original)
            log.info("duplicate_file %s (same bytes as %s)", info.key, original)
        else:
            seen[result.sha256] = info.key
            log.info("accepted %s (%d bytes)", info.key, info.size)
        entries.append(entry)

    manifest_key = f"_runs/{request.dataset}/{request.run_date}/manifest.json"
    manifest = {
        "dataset": request.dataset,
        "run_date": request.run_date,
        "lake_root": request.lake_root,
        "files": entries,
    }
    storage.write_bytes(manifest_key, json.dumps(manifest, indent=2).encode("utf-8"))
    manifest_uri = f"{request.lake_root.rstrip('/')}/{manifest_key}"
    verdicts = (ACCEPTED, BAD_FILE, DUPLICATE_FILE)
    counts = {v: sum(e["status"] == v for e in entries) for v in verdicts}
    log.info("manifest %s: %s in %.2fs", manifest_uri, counts, time.monotonic() - started)
    return {
        "ok": True,
        "dataset": request.dataset,
        "run_date": request.run_date,
        "manifest_uri": manifest_uri,
        "counts": counts,
        "glue_arguments": {
            "--dataset": request.dataset,
            "--lake_root": request.lake_root,
            "--run_date": request.run_date,
            "--manifest": manifest_uri,
        },
    }
