"""The trigger Lambda handler: preflight verdicts, quarantine, duplicates, manifest."""

import gzip
import json
import os

import pytest
from trigger_lambda.events import build_event
from trigger_lambda.handler import handler

DAY = "2024-03-01"
HEADER = "order_id,customer_id,order_date,status,quantity,unit_price\n"
GOOD = HEADER + "o1,c1,2024-03-01,shipped,1,2.00\n"


def put(lake, key, data, mtime=None):
    path = lake / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return key


def invoke(lake, keys, run_date=DAY):
    return handler(build_event(str(lake), "orders", run_date, keys))


def manifest(lake, run_date=DAY):
    return json.loads((lake / f"_runs/orders/{run_date}/manifest.json").read_text())


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02garbage", "binary content"),
        (b"order_id,customer_id\n1,2\n", "missing required column(s): order_date"),
        ("é".encode("latin-1") + HEADER.encode(), "not UTF-8 text"),
        (b"\n\n  \n", "no content"),
        (HEADER.replace("status", "order_id").encode(), "missing required column(s): status"),
    ],
)
def test_bad_files_are_quarantined_whole_with_a_reason(lake_root, data, detail):
    key = put(lake_root, f"raw/orders/dt={DAY}/bad.csv", data)
    response = invoke(lake_root, [key])
    assert response["ok"] and response["counts"]["bad_file"] == 1
    entry = manifest(lake_root)["files"][0]
    assert entry["status"] == "bad_file" and detail in entry["detail"]
    assert (lake_root / f"quarantine/orders/files/run_date={DAY}/dt={DAY}/bad.csv").exists()


def test_bad_gzip_is_a_bad_file(lake_root):
    key = put(lake_root, f"raw/orders/dt={DAY}/x.csv.gz", b"not gzip at all")
    invoke(lake_root, [key])
    assert "gzip" in manifest(lake_root)["files"][0]["detail"]


def test_good_files_gzip_bom_and_crlf_are_accepted(lake_root):
    keys = [
        put(lake_root, f"raw/orders/dt={DAY}/a.csv", "\ufeff" + GOOD.replace("\n", "\r\n"), 100),
        put(lake_root, f"raw/orders/dt={DAY}/b.csv.gz", gzip.compress(GOOD.encode() + b"\n"), 200),
    ]
    response = invoke(lake_root, keys)
    assert response["counts"] == {"accepted": 2, "bad_file": 0, "duplicate_file": 0}
    assert response["glue_arguments"]["--manifest"].endswith(f"_runs/orders/{DAY}/manifest.json")
    assert [f["order"] for f in manifest(lake_root)["files"]] == [0, 1]


def test_same_bytes_under_another_key_is_a_duplicate_file(lake_root):
    first = put(lake_root, f"raw/orders/dt={DAY}/a.csv", GOOD, 100)
    second = put(lake_root, f"raw/orders/dt={DAY}/copy of a.csv", GOOD, 200)
    invoke(lake_root, [second, first])
    files = manifest(lake_root)["files"]
    assert [f["status"] for f in files] == ["accepted", "duplicate_file"]
    assert files[1]["duplicate_of"] == first


def test_bytes_processed_by_an_earlier_successful_run_are_a_duplicate(lake_root):
    key = put(lake_root, "raw/orders/dt=2024-02-28/a.csv", GOOD)
    record = {"status": "success", "files": [{"key": key, "sha256": manifest_sha(lake_root, key)}]}
    put(lake_root, "_runs/orders/2024-02-28/run.json", json.dumps(record))
    again = put(lake_root, f"raw/orders/dt={DAY}/a.csv", GOOD)
    invoke(lake_root, [again])
    assert manifest(lake_root)["files"][0]["duplicate_of"] == key


def test_a_failed_earlier_run_does_not_count_as_processed(lake_root):
    key = put(lake_root, "raw/orders/dt=2024-02-28/a.csv", GOOD)
    record = {"status": "failed", "files": [{"key": key, "sha256": manifest_sha(lake_root, key)}]}
    put(lake_root, "_runs/orders/2024-02-28/run.json", json.dumps(record))
    invoke(lake_root, [put(lake_root, f"raw/orders/dt={DAY}/a.csv", GOOD)])
    assert manifest(lake_root)["files"][0]["status"] == "accepted"


def manifest_sha(lake, key):
    import hashlib

    return hashlib.sha256((lake / key).read_bytes()).hexdigest()


def test_url_encoded_unicode_and_space_keys_round_trip(lake_root):
    key = put(lake_root, f"raw/orders/dt={DAY}/commandes été + x.csv", GOOD)
    event = build_event(str(lake_root), "orders", DAY, [key])
    assert " " not in event["Records"][0]["s3"]["object"]["key"]
    assert handler(event)["counts"]["accepted"] == 1


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"Records": "x"},
        {"Records": [{"s3": {}}]},
        {"Records": [], "pipeline": {"lake_root": "/x"}},
    ],
)
def test_bad_events_are_refused_with_a_message(event):
    response = handler(event)
    assert response["ok"] is False and response["error"]


def test_keys_escaping_the_lake_are_bad_files_never_read(lake_root):
    good = put(lake_root, f"raw/orders/dt={DAY}/a.csv", GOOD)
    response = invoke(lake_root, ["raw/orders/../../etc/passwd", good])
    assert response["counts"] == {"accepted": 1, "bad_file": 1, "duplicate_file": 0}
    [refused] = [e for e in manifest(lake_root)["files"] if e["status"] == "bad_file"]
    assert refused["key"] == "raw/orders/../../etc/passwd" and "unsafe key" in refused["detail"]
    assert not (lake_root / "quarantine").exists()


def test_a_copy_recorded_as_duplicate_by_a_later_run_does_not_shadow_the_original(lake_root):
    original = put(lake_root, f"raw/orders/dt={DAY}/a.csv", GOOD)
    sha = manifest_sha(lake_root, original)
    later = {
        "status": "success",
        "files": [
            {"key": "raw/orders/dt=2024-03-02/copy.csv", "sha256": sha, "reason": "duplicate_file"}
        ],
    }
    put(lake_root, "_runs/orders/2024-03-02/run.json", json.dumps(later))
    invoke(lake_root, [original])  # re-running the original's date
    assert manifest(lake_root)["files"][0]["status"] == "accepted"
