"""The lake layout contract: one root, the same prefixes locally and on S3.

``raw/<dataset>/…``, ``processed/<dataset>/run_date=D/``, ``quarantine/<dataset>/rows|files``,
``enriched/<dataset>/<summary>/``, ``_runs/<dataset>/<D>/`` (run record, manifest, counts),
``_catalog/`` (local Glue-shaped catalog) and ``data_docs/`` (GX Data Docs).
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import fsspec
from fsspec import AbstractFileSystem

PARTITION_COLUMN = "run_date"


class UnsafeKeyError(ValueError):
    """A key would resolve outside the lake root (``..``, absolute, empty segment)."""


def safe_relative_key(key: str) -> str:
    """Normalise a relative key and refuse anything that escapes its prefix."""
    parts = key.replace("\\", "/").split("/")
    if key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise UnsafeKeyError(f"unsafe key {key!r}")
    return "/".join(parts)


@dataclass(frozen=True)
class Lake:
    """Paths under one lake root (a local folder or ``s3://bucket``)."""

    root: str

    def __post_init__(self) -> None:
        root = str(self.root)
        if "://" not in root:
            root = os.path.abspath(os.path.expanduser(root))
        object.__setattr__(self, "root", root.rstrip("/") or "/")

    @cached_property
    def fs(self) -> AbstractFileSystem:
        """The fsspec filesystem that serves this root."""
        fs, _ = fsspec.url_to_fs(self.root)
        return fs

    @property
    def is_local(self) -> bool:
        return "://" not in self.root or self.root.startswith("file://")

    def uri(self, *parts: str) -> str:
        """Join ``parts`` under the root; each part is checked by :func:`safe_relative_key`."""
        return posixpath.join(self.root, *(safe_relative_key(p) for p in parts if p))

    def key_of(self, uri: str) -> str:
        """The lake-relative key of a full uri/path under this root."""
        prefix = self.root + "/"
        stripped = uri.split("://", 1)[-1] if "://" in uri and "://" not in self.root else uri
        if not stripped.startswith(prefix):
            raise UnsafeKeyError(f"{uri!r} is not under lake root {self.root!r}")
        return safe_relative_key(stripped[len(prefix) :])

    # --- prefixes of the layout contract -------------------------------------------------
    def raw(self, dataset: str) -> str:
        return self.uri("raw", dataset)

    def processed(self, table: str) -> str:
        return self.uri("processed", table)

    def processed_partition(self, table: str, run_date: date | str) -> str:
        return self.uri("processed", table, f"{PARTITION_COLUMN}={run_date}")

    def quarantine_rows(self, dataset: str) -> str:
        return self.uri("quarantine", dataset, "rows")

    def quarantine_files(self, dataset: str, run_date: date | str) -> str:
        return self.uri("quarantine", dataset, "files", f"{PARTITION_COLUMN}={run_date}")

    def enriched(self, dataset: str, summary: str) -> str:
        return self.uri("enriched", dataset, summary)

    def runs(self, dataset: str) -> str:
        return self.uri("_runs", dataset)

    def run_dir(self, dataset: str, run_date: date | str) -> str:
        return self.uri("_runs", dataset, str(run_date))

    def run_file(self, dataset: str, run_date: date | str, name: str) -> str:
        return self.uri("_runs", dataset, str(run_date), name)

    def catalog(self) -> str:
        return self.uri("_catalog")

    def data_docs(self) -> str:
        return self.uri("data_docs")
