"""The run lock on an S3 lake (moto): conditional writes decide the holder."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from moto_support import client, create_bucket

from pipeline.lake import Lake
from pipeline.run_lock import RunLocked, run_lock

pytestmark = pytest.mark.aws
KEY = "_runs/orders/2024-03-01/.lock"


@pytest.fixture
def s3_lake(aws_env) -> Lake:
    bucket = f"lake-lock-{uuid.uuid4().hex[:12]}"
    create_bucket(aws_env, bucket)
    return Lake(f"s3://{bucket}")


def s3(lake: Lake):
    return client(os.environ["AWS_ENDPOINT_URL"], "s3"), lake.root.removeprefix("s3://")


def test_one_holder_at_a_time_and_the_lock_goes_with_it(s3_lake):
    api, bucket = s3(s3_lake)
    with run_lock(s3_lake, "orders", "2024-03-01") as mine:
        stored = json.loads(api.get_object(Bucket=bucket, Key=KEY)["Body"].read())
        assert stored["token"] == mine["token"]
        with (
            pytest.raises(RunLocked, match=f"pid {os.getpid()}"),
            run_lock(s3_lake, "orders", "2024-03-01"),
        ):
            pass
        with run_lock(s3_lake, "orders", "2024-03-02"):  # another date is free
            pass
    assert "Contents" not in api.list_objects_v2(Bucket=bucket, Prefix=KEY)


def test_a_dead_holders_lock_is_taken_over(s3_lake):
    api, bucket = s3(s3_lake)
    dead = {"host": os.uname().nodename, "pid": 2**22 + 7, "started_at": "x", "token": "old"}
    api.put_object(Bucket=bucket, Key=KEY, Body=json.dumps(dead).encode())
    with run_lock(s3_lake, "orders", "2024-03-01") as mine:
        stored = json.loads(api.get_object(Bucket=bucket, Key=KEY)["Body"].read())
        assert stored["token"] == mine["token"]


def test_a_live_holder_on_another_host_is_respected_until_it_is_stale(s3_lake, monkeypatch):
    api, bucket = s3(s3_lake)
    other = {"host": "elsewhere", "pid": 1, "started_at": "x", "token": "theirs"}
    api.put_object(Bucket=bucket, Key=KEY, Body=json.dumps(other).encode())
    with pytest.raises(RunLocked, match="on elsewhere"), run_lock(s3_lake, "orders", "2024-03-01"):
        pass
    monkeypatch.setenv("PIPELINE_RUN_LOCK_STALE_HOURS", "0")
    with run_lock(s3_lake, "orders", "2024-03-01"):
        pass
