"""Odd raw entries (backslash names, symlinks, unsafe S3 keys) are each a ``bad_file`` with
its reason; they never stop the listing of the dataset nor another file or date."""

import json
import os
from datetime import date
from pathlib import Path

import pytest
from trigger_lambda.events import build_event
from trigger_lambda.handler import handler, inspect
from trigger_lambda.storage import LocalStorage, ObjectInfo

from pipeline.lake import Lake
from pipeline.steps.sense import find_new_files, list_raw_files

HEADER = "order_id,customer_id,order_date,status,quantity,unit_price\n"
ROW = HEADER + "o-1,c,2024-01-01,pending,1,1.00\n"


@pytest.fixture
def lake(tmp_path):
    day1, day2 = tmp_path / "raw/orders/dt=2024-01-01", tmp_path / "raw/orders/dt=2024-01-02"
    day1.mkdir(parents=True)
    day2.mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/secret.csv").write_text(ROW)
    (day1 / "x\\..\\..\\evil.csv").write_text(ROW)
    (day1 / "a\\b.csv").write_text(ROW)
    (day1 / "good.csv").write_text(ROW)
    (day1 / "linked.csv").symlink_to(tmp_path / "outside/secret.csv")
    (day1 / "notes.txt").symlink_to(tmp_path / "outside/secret.csv")  # not a data name
    (day1 / "folder").symlink_to(tmp_path / "outside")
    (day2 / "other.csv").write_text(ROW)
    return Lake(str(tmp_path))


def test_the_listing_keeps_odd_names_as_they_are_and_goes_on(lake):
    keys = [f.key for f in list_raw_files(lake, "orders")]
    assert keys == [
        "raw/orders/dt=2024-01-01/a\\b.csv",
        "raw/orders/dt=2024-01-01/folder",
        "raw/orders/dt=2024-01-01/good.csv",
        "raw/orders/dt=2024-01-01/linked.csv",
        "raw/orders/dt=2024-01-01/x\\..\\..\\evil.csv",
        "raw/orders/dt=2024-01-02/other.csv",
    ]
    assert [f.key for f in find_new_files(lake, "orders", date(2024, 1, 2))] == [
        "raw/orders/dt=2024-01-02/other.csv"
    ]


def test_each_odd_entry_is_a_bad_file_with_its_reason(lake):
    keys = [f.key for f in find_new_files(lake, "orders", date(2024, 1, 1))]
    response = handler(build_event(lake.root, "orders", "2024-01-01", keys))
    assert response["counts"] == {"accepted": 1, "bad_file": 4, "duplicate_file": 0}
    with open(lake.run_file("orders", "2024-01-01", "manifest.json")) as stream:
        entries = {e["key"].rsplit("/", 1)[-1]: e for e in json.load(stream)["files"]}
    assert entries["good.csv"]["status"] == "accepted"
    for name in ("x\\..\\..\\evil.csv", "a\\b.csv"):
        assert entries[name]["status"] == "bad_file" and "backslash" in entries[name]["detail"]
        assert entries[name]["sha256"]  # read, checked and copied whole
        copy = f"{lake.root}/quarantine/orders/files/run_date=2024-01-01/dt=2024-01-01/{name}"
        assert Path(copy).read_text() == ROW
    for name in ("linked.csv", "folder"):
        assert "symbolic link" in entries[name]["detail"]
        assert entries[name]["sha256"] == ""  # never opened
    copied = [n for _, _, names in os.walk(f"{lake.root}/quarantine") for n in names]
    assert sorted(copied) == sorted(["x\\..\\..\\evil.csv", "a\\b.csv"])


def test_a_key_with_dot_segments_is_refused_without_being_read(tmp_path):
    info, reason = inspect(LocalStorage(str(tmp_path)), "raw/orders/../../etc/passwd")
    assert info == ObjectInfo("raw/orders/../../etc/passwd", 0, 0.0)
    assert reason and "unsafe key" in reason
