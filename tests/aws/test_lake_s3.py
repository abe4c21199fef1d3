"""``Lake`` on an ``s3://`` root: fsspec over pyarrow's S3 filesystem, against moto.

The step code shared by both targets (step timings, run record, raw-file listing) uses
``Lake.fs`` with full ``s3://`` uris; these tests run that code on moto's S3.
"""

from __future__ import annotations

import io
import json
import os
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto_support import client, create_bucket

from pipeline.lake import Lake, S3ArrowFileSystem
from pipeline.steps.run_record import stored_rows, write_run_record
from pipeline.steps.sense import list_raw_files
from pipeline.steps.timing import clear_steps, read_steps, write_step

pytestmark = pytest.mark.aws


@pytest.fixture
def s3_lake(aws_env) -> Lake:
    bucket = f"lake-fs-{uuid.uuid4().hex[:12]}"
    create_bucket(aws_env, bucket)
    return Lake(f"s3://{bucket}")


def put(lake: Lake, key: str, body: bytes) -> dict:
    """Put an object with boto3 (not through Lake.fs); return its HEAD."""
    s3 = client(os.environ["AWS_ENDPOINT_URL"], "s3")
    bucket = lake.root.removeprefix("s3://")
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return s3.head_object(Bucket=bucket, Key=key)


def test_fs_reads_writes_lists_moves_and_removes_full_uris(s3_lake):
    fs = s3_lake.fs
    assert isinstance(fs, S3ArrowFileSystem)
    uri = s3_lake.run_file("orders", "2024-03-01", "manifest.json")
    assert uri == f"{s3_lake.root}/_runs/orders/2024-03-01/manifest.json"
    assert not fs.exists(uri)
    fs.makedirs(s3_lake.run_dir("orders", "2024-03-01"), exist_ok=True)
    with fs.open(uri, "w") as stream:
        json.dump({"files": []}, stream)
    assert fs.exists(uri)
    with fs.open(uri) as stream:
        assert json.load(stream) == {"files": []}

    found = fs.find(s3_lake.runs("orders"), detail=True)
    assert list(found) == [uri]
    assert found[uri]["type"] == "file" and isinstance(found[uri]["mtime"], float)
    assert s3_lake.key_of(uri) == "_runs/orders/2024-03-01/manifest.json"

    moved = uri + ".old"
    fs.mv(uri, moved)
    assert fs.find(s3_lake.runs("orders")) == [moved]
    fs.rm(s3_lake.runs("orders"), recursive=True)
    assert fs.find(s3_lake.runs("orders")) == []


def test_step_timings_round_trip(s3_lake):
    write_step(s3_lake, "orders", "2024-03-01", "glue_job", {"step": "glue_job", "seconds": 1.5})
    assert read_steps(s3_lake, "orders", "2024-03-01") == {
        "glue_job": {"step": "glue_job", "seconds": 1.5}
    }
    clear_steps(s3_lake, "orders", "2024-03-01")
    assert read_steps(s3_lake, "orders", "2024-03-01") == {}


def test_raw_file_listing_matches_s3_metadata(s3_lake):
    head = put(s3_lake, "raw/orders/dt=2024-03-01/a.csv", b"order_id\n1\n")
    put(s3_lake, "raw/orders/dt=2024-03-01/notes.txt", b"x")
    [raw] = list_raw_files(s3_lake, "orders")
    assert raw.key == "raw/orders/dt=2024-03-01/a.csv"
    assert (raw.size, raw.modified) == (head["ContentLength"], head["LastModified"].timestamp())


def test_stored_rows_and_run_record_on_s3(s3_lake):
    buffer = io.BytesIO()
    pq.write_table(pa.table({"order_id": ["a", "b", "c"]}), buffer)
    put(s3_lake, "processed/orders/run_date=2024-03-01/part-0.parquet", buffer.getvalue())
    assert stored_rows(s3_lake, s3_lake.processed_partition("orders", "2024-03-01")) == 3
    assert stored_rows(s3_lake, s3_lake.processed_partition("orders", "2024-03-02")) == 0

    record = {
        "dataset": "orders",
        "logical_date": "2024-03-01",
        "status": "success",
        "totals": dict.fromkeys(
            ("files", "rows_read", "rows_valid", "rows_rejected", "rows_duplicate"), 0
        ),
    }
    uri = write_run_record(s3_lake, record)
    assert uri == s3_lake.run_file("orders", "2024-03-01", "run.json")
    with s3_lake.fs.open(uri) as stream:
        assert json.load(stream)["status"] == "success"
    assert not s3_lake.fs.exists(uri + ".tmp")
