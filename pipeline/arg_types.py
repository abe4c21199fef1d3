"""Argument types of the ``pipeline`` command that check a lake folder or a port.

Each raises :class:`argparse.ArgumentTypeError`, so a mistake is argparse's one-line
``pipeline <command>: error: argument --lake: ...`` with exit code 2, given while the
arguments are parsed: before Airflow, Spark or a server is started. ``s3://`` (any
``scheme://`` other than ``file://``) lakes are passed on as they are.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

MAX_PORT = 65535


def _local_path(text: str) -> Path | None:
    """The local folder a ``--lake`` value names, ``None`` for a remote uri (``s3://``)."""
    if text.startswith("file://"):
        text = text[len("file://") :]
    elif "://" in text:
        return None
    if not text.strip():
        raise argparse.ArgumentTypeError("empty lake path")
    return Path(os.path.abspath(os.path.expanduser(text)))


def _writable(folder: Path) -> bool:
    """Whether a file can be made in ``folder`` (tried, not guessed from the mode bits:
    root ignores them, and ``/proc`` or a read-only mount refuse whatever they say)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True


def _not_a_folder(path: Path) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"{path} is a file, not a folder")


def existing_lake(text: str) -> str:
    """A lake that ``run``/``backfill`` read and write: an existing, writable folder."""
    path = _local_path(text)
    if path is None:
        return text
    if not path.exists():
        raise argparse.ArgumentTypeError(
            f"no lake folder at {path} (check the path; `pipeline generate` creates one)"
        )
    if not path.is_dir():
        raise _not_a_folder(path)
    if not _writable(path):
        raise argparse.ArgumentTypeError(f"cannot write to the lake folder {path}")
    return text


def lake_to_create(text: str) -> str:
    """A lake that ``generate`` writes into: a folder, or a path one can be made at."""
    path = _local_path(text)
    if path is None:
        return text
    existing = path
    while not existing.exists():  # the nearest existing ancestor is where mkdir starts
        existing = existing.parent
    if not existing.is_dir():
        raise _not_a_folder(existing)
    if not _writable(existing):
        if existing == path:
            raise argparse.ArgumentTypeError(f"cannot write to the lake folder {path}")
        raise argparse.ArgumentTypeError(f"cannot create {path}: {existing} is not writable")
    return text


def readable_lake(text: str) -> str:
    """A lake that is only read (``dashboard``): not a file; it may not exist yet."""
    path = _local_path(text)
    if path is not None and path.exists() and not path.is_dir():
        raise _not_a_folder(path)
    return text


def port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"must be 1-{MAX_PORT} (0: any free port): {text!r}")
    return value
