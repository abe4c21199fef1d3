"""One run per dataset and date at a time: a lock object in the lake, ``_runs/<dataset>/<D>/.lock``.

Two ``pipeline run`` commands for the same lake and date used to write the same outputs
with no lock (or die with an Airflow ``IntegrityError``); now the second stops at once
with one line naming the holder. Dates are locked one by one, so backfills of other
dates (even of the same dataset) still run beside each other.

- **Local lake (a folder):** an exclusive ``flock`` on the lock file. The kernel drops it
  when the holder exits in any way (``kill -9`` included), so a lock is never stale: the
  next command simply takes it. The file keeps the last holder's JSON for the message.
- **S3 lake:** S3 has no locks, so the lock is the object itself, created with a
  conditional write (``PutObject`` with ``If-None-Match: *``: exactly one writer succeeds).
  A lock whose holder is gone is taken over with ``If-Match`` on the ETag that was read
  (compare-and-swap: of two takers, one wins). Gone means: the same host and its process
  no longer exists, or the lock is older than ``PIPELINE_RUN_LOCK_STALE_HOURS`` (default
  24, beyond any run's timeouts). Released with a delete when the command ends. At any
  scale that is three requests per run and date: one PUT, one GET, one DELETE.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from .config import setting
from .lake import Lake

LOCK_NAME = ".lock"


class RunLocked(RuntimeError):
    """Another command holds the run of this dataset and date; the message says who."""


def _holder() -> dict:
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv)),
        "token": uuid.uuid4().hex,
    }


def _describe(dataset: str, run_date: str, holder: dict, where: str) -> str:
    return (
        f"{dataset} {run_date} is already being run by pid {holder.get('pid', '?')} on "
        f"{holder.get('host', '?')} since {holder.get('started_at', '?')} "
        f"({holder.get('command', '?')}); lock {where}"
    )


@contextlib.contextmanager
def run_lock(lake: Lake, dataset: str, run_date: str) -> Iterator[dict]:
    """Hold the lock of ``dataset``'s run for ``run_date`` (raise :class:`RunLocked`)."""
    uri = lake.run_file(dataset, run_date, LOCK_NAME)
    holder = _holder()
    if lake.is_local:
        with _local_lock(Path(uri.removeprefix("file://")), dataset, run_date, holder):
            yield holder
    else:
        with _s3_lock(uri, dataset, run_date, holder):
            yield holder


@contextlib.contextmanager
def _local_lock(path: Path, dataset: str, run_date: str, holder: dict) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            try:
                current = json.loads(os.pread(fd, 65536, 0) or b"{}")
            except ValueError:
                current = {}
            raise RunLocked(_describe(dataset, run_date, current, str(path))) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        yield
    finally:
        os.close(fd)  # drops the flock, if held


def _s3_client():
    import boto3

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    return boto3.client("s3", endpoint_url=endpoint or None)


def _is_stale(holder: dict, written: datetime) -> bool:
    if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
        try:
            os.kill(holder["pid"], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    hours = float(setting("run_lock_stale_hours", "24"))
    return datetime.now(tz=UTC) - written > timedelta(hours=hours)


@contextlib.contextmanager
def _s3_lock(uri: str, dataset: str, run_date: str, holder: dict) -> Iterator[None]:
    client = _s3_client()
    parts = urlsplit(uri)
    bucket, key = parts.netloc, parts.path.lstrip("/")
    body = json.dumps(holder).encode()
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*")
    except client.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412"):
            raise
        found = client.get_object(Bucket=bucket, Key=key)
        current = json.loads(found["Body"].read() or b"{}")
        if not _is_stale(current, found["LastModified"]):
            raise RunLocked(_describe(dataset, run_date, current, uri)) from None
        try:  # take over: succeeds only if nobody replaced the stale lock meanwhile
            client.put_object(Bucket=bucket, Key=key, Body=body, IfMatch=found["ETag"])
        except client.exceptions.ClientError:
            raise RunLocked(_describe(dataset, run_date, current, uri)) from None
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a lost lock must not hide the run's outcome
            current = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
            if current.get("token") == holder["token"]:
                client.delete_object(Bucket=bucket, Key=key)
