"""A processed raw file overwritten in place is reported by the next runs, with both
checksums; a file merely touched (same bytes) is not."""

import hashlib
import json
import os
from datetime import date

from pipeline.lake import Lake
from pipeline.steps.run_record import build_run_record
from pipeline.steps.sense import sense_files
from pipeline.steps.timing import write_step

KEY = "raw/orders/dt=2024-03-01/a.csv"
OLD = b"order_id,customer_id,order_date,status,quantity,unit_price\no-1,c,2024-03-01,new,1,1\n"


def processed_lake(tmp_path) -> Lake:
    """2024-03-01 processed ``a.csv`` (its run record is the ledger)."""
    path = tmp_path / KEY
    path.parent.mkdir(parents=True)
    path.write_bytes(OLD)
    os.utime(path, (1_709_300_000, 1_709_300_000))
    entry = {
        "key": KEY,
        "sha256": hashlib.sha256(OLD).hexdigest(),
        "size": len(OLD),
        "modified": 1_709_300_000.0,
    }
    record = tmp_path / "_runs/orders/2024-03-01/run.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"status": "success", "files": [entry]}))
    return Lake(str(tmp_path))


def test_an_overwritten_processed_file_is_a_warning_with_both_checksums(tmp_path):
    lake = processed_lake(tmp_path)
    new = OLD + b"o-2,c,2024-03-01,new,1,1\n"
    (tmp_path / KEY).write_bytes(new)
    files, changed = sense_files(lake, "orders", date(2024, 3, 2))
    assert files == []  # its landing date is over: no later date picks it up
    [warning] = changed
    assert warning["key"] == KEY and warning["processed_by"] == "2024-03-01"
    assert warning["processed_sha256"] == hashlib.sha256(OLD).hexdigest()
    assert warning["current_sha256"] == hashlib.sha256(new).hexdigest()
    assert "re-run 2024-03-01" in warning["detail"]


def test_a_touched_file_with_the_same_bytes_is_not_reported(tmp_path):
    lake = processed_lake(tmp_path)
    os.utime(tmp_path / KEY, (1_709_400_000, 1_709_400_000))
    assert sense_files(lake, "orders", date(2024, 3, 2))[1] == []


def test_the_warning_is_in_the_next_run_record(tmp_path):
    lake = processed_lake(tmp_path)
    (tmp_path / KEY).write_bytes(OLD.replace(b"new", b"shipped"))
    _, changed = sense_files(lake, "orders", date(2024, 3, 2))
    write_step(
        lake,
        "orders",
        "2024-03-02",
        "sense_new_files",
        {"status": "skipped", "changed_files": changed},
    )
    record = build_run_record(lake, "orders", ("orders",), "2024-03-02")
    assert record["warnings"] == changed and record["warnings"][0]["key"] == KEY
