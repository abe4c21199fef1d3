"""Just enough object storage for the Lambda: a lake folder locally, S3 on AWS.

boto3 ships with the Lambda runtime; fsspec's S3 backend (s3fs) would add aiobotocore,
whose botocore pin fights the Airflow provider's, so the two small backends live here.
"""

from __future__ import annotations

import os
import shutil
import stat as stat_module
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol


class UnsafeKeyError(ValueError):
    """A key would leave the lake root."""


def check_key(key: str) -> str:
    """Refuse keys that are absolute or contain empty, ``.`` or ``..`` segments.

    ``/`` is the only separator, as in S3 and on POSIX: a backslash is an ordinary
    character of a name (``x\\..\\y.csv`` is one file in its folder, not two levels up).
    Whether the pipeline *processes* such a name is the contract's call
    (:func:`trigger_lambda.contracts.name_problem`).
    """
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise UnsafeKeyError(f"unsafe key {key!r}")
    return key


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: float  # epoch seconds, UTC
    symlink: bool = False  # local lakes only: S3 has no links


class Storage(Protocol):
    def open_read(self, key: str) -> BinaryIO: ...
    def write_bytes(self, key: str, data: bytes) -> None: ...
    def copy(self, src_key: str, dst_key: str) -> None: ...
    def list(self, prefix: str) -> Iterator[ObjectInfo]: ...
    def exists(self, key: str) -> bool: ...


class LocalStorage:
    """A lake laid out as a local folder."""

    def __init__(self, root: str) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise UnsafeKeyError(f"key {key!r} resolves outside the lake")
        return path

    def open_read(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def write_bytes(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def copy(self, src_key: str, dst_key: str) -> None:
        dst = self._path(dst_key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self._path(src_key), dst)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        base = self._path(prefix)
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file():
                stat = path.stat()
                key = path.relative_to(self.root).as_posix()
                yield ObjectInfo(key=key, size=stat.st_size, modified=stat.st_mtime)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def stat(self, key: str) -> ObjectInfo:
        """The object itself, not what it links to: a symlink is reported as one (and its
        target is never opened), wherever it points."""
        path = self.root / check_key(key)
        if self.root != path.parent.resolve() and self.root not in path.parent.resolve().parents:
            raise UnsafeKeyError(f"key {key!r} resolves outside the lake")
        info = path.lstat()
        return ObjectInfo(
            key, info.st_size, info.st_mtime, symlink=stat_module.S_ISLNK(info.st_mode)
        )


class S3Storage:
    """A lake in an S3 bucket (``s3://bucket`` root)."""

    def __init__(self, bucket: str, client=None) -> None:
        import boto3

        self.bucket = bucket
        self.client = client or boto3.client("s3")

    def open_read(self, key: str) -> BinaryIO:
        return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"]

    def write_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data)

    def copy(self, src_key: str, dst_key: str) -> None:
        source = {"Bucket": self.bucket, "Key": check_key(src_key)}
        self.client.copy_object(Bucket=self.bucket, Key=check_key(dst_key), CopySource=source)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix.rstrip("/") + "/"):
            for obj in page.get("Contents", []):
                yield ObjectInfo(obj["Key"], obj["Size"], obj["LastModified"].timestamp())

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except self.client.exceptions.ClientError:
            return False
        return True


def storage_for(lake_root: str) -> Storage:
    """Pick the backend from the root: ``s3://bucket`` or a local folder."""
    if lake_root.startswith("s3://"):
        bucket = lake_root[len("s3://") :].strip("/")
        if "/" in bucket:
            raise ValueError(f"lake root must be a bucket root, got {lake_root!r}")
        return S3Storage(bucket)
    return LocalStorage(lake_root)


def stat(storage: Storage, key: str) -> ObjectInfo:
    """Size and modification time of one object."""
    if isinstance(storage, LocalStorage):
        return storage.stat(key)
    head = storage.client.head_object(Bucket=storage.bucket, Key=check_key(key))
    return ObjectInfo(key, head["ContentLength"], head["LastModified"].timestamp())
