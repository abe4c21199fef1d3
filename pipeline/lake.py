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
from urllib.parse import urlsplit

import fsspec
from fsspec import AbstractFileSystem
from fsspec.implementations.arrow import ArrowFSWrapper

PARTITION_COLUMN = "run_date"


def validation_file_name(dataset: str, table: str) -> str:
    """``validation.json`` for a dataset's own table, ``validation_<table>.json`` for others
    (mirrors ``glue_lib.layout.validation_file_name``, which the validation job uses)."""
    return "validation.json" if table == dataset else f"validation_{table}.json"


class UnsafeKeyError(ValueError):
    """A key would resolve outside the lake root (``..``, absolute, empty segment)."""


def safe_relative_key(key: str) -> str:
    """Refuse a relative key that could escape its prefix (absolute, ``.``/``..``/empty segment).

    ``/`` is the only separator, as in S3 and on POSIX: a backslash is part of a name, never
    turned into a folder (which made ``a\\b.csv`` name a file that does not exist, and
    ``x\\..\\..\\y.csv`` look like an escape and stop the listing of the whole dataset).
    """
    if key.startswith("/") or any(part in ("", ".", "..") for part in key.split("/")):
        raise UnsafeKeyError(f"unsafe key {key!r}")
    return key


class S3ArrowFileSystem(ArrowFSWrapper):
    """fsspec over ``pyarrow.fs.S3FileSystem`` that speaks full ``s3://bucket/key`` uris.

    s3fs is not an option (its aiobotocore pins clash with the Airflow amazon provider's
    botocore). Two adaptations make the wrapper behave like the local filesystem for the
    callers of :class:`Lake`: ``find`` answers in the form it was asked (``s3://`` in,
    ``s3://`` out), so results go straight into :meth:`Lake.key_of` and into pyarrow
    datasets (which insist results lie under the base dir as given); ``mtime`` is epoch
    seconds, as ``LocalFileSystem`` reports it.
    """

    # fsspec's instance cache keys on the wrapped pyarrow object's repr (its address), which
    # a later filesystem with another endpoint could reuse; Lake caches its own instance.
    cachable = False

    def _make_entry(self, info):
        entry = super()._make_entry(info)
        if entry.get("mtime") is not None:
            entry["mtime"] = entry["mtime"].timestamp()
        return entry

    def find(self, path, maxdepth=None, withdirs=False, detail=False, **kwargs):
        found = super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=detail, **kwargs)
        if not str(path).startswith("s3://"):
            return found
        if detail:
            return {f"s3://{key}": {**info, "name": f"s3://{key}"} for key, info in found.items()}
        return [f"s3://{name}" for name in found]


def s3_filesystem() -> S3ArrowFileSystem:
    """The lake's S3 filesystem: the default AWS credential chain, region and endpoint from env.

    Region: ``PIPELINE_AWS_REGION``, else ``AWS_REGION`` / ``AWS_DEFAULT_REGION``. Endpoint:
    ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` when set (moto, LocalStack, MinIO),
    which pyarrow does not read by itself.
    """
    from pyarrow import fs as pafs

    options: dict[str, str] = {}
    region = next(
        (
            os.environ[name]
            for name in ("PIPELINE_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")
            if os.environ.get(name)
        ),
        None,
    )
    if region:
        options["region"] = region
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        options["endpoint_override"] = parts.netloc or endpoint
        options["scheme"] = parts.scheme or "https"
    return S3ArrowFileSystem(pafs.S3FileSystem(**options))


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
        """The fsspec filesystem that serves this root (``s3://`` roots: :func:`s3_filesystem`)."""
        if self.root.startswith("s3://"):
            return s3_filesystem()
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

    def validation_file(self, dataset: str, run_date: date | str, table: str) -> str:
        """The validation report of one processed table (see :func:`validation_file_name`)."""
        return self.run_file(dataset, run_date, validation_file_name(dataset, table))

    def catalog(self) -> str:
        return self.uri("_catalog")

    def data_docs(self) -> str:
        return self.uri("data_docs")
