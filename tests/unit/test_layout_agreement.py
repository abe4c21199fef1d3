"""The lake layout is written down three times (orchestration, Glue, Lambda): keep them equal."""

import pytest
from glue_lib import layout
from trigger_lambda.handler import quarantine_key

from pipeline.lake import Lake, UnsafeKeyError

ROOT = "/lake"


def test_job_and_orchestration_paths_agree():
    lake = Lake(ROOT)
    assert layout.processed_partition(ROOT, "orders", "2024-03-01") == lake.processed_partition(
        "orders", "2024-03-01"
    )
    assert layout.quarantine_rows_partition(ROOT, "orders", "2024-03-01") == (
        f"{lake.quarantine_rows('orders')}/run_date=2024-03-01"
    )
    assert layout.run_file(ROOT, "orders", "2024-03-01", "x.json") == lake.run_file(
        "orders", "2024-03-01", "x.json"
    )


def test_lambda_quarantine_key_is_under_the_lake_quarantine_prefix():
    lake = Lake(ROOT)
    key = quarantine_key("orders", "2024-03-01", "raw/orders/dt=2024-03-01/a.csv")
    assert lake.uri(key).startswith(lake.quarantine_files("orders", "2024-03-01"))


@pytest.mark.parametrize("key", ["../x", "a/../../b", "/etc/passwd", "a//b"])
def test_lake_refuses_keys_that_escape(key):
    with pytest.raises(UnsafeKeyError):
        Lake(ROOT).uri(key)
