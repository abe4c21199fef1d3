"""A re-run marks its record ``running`` before it changes anything (issue: a killed
re-run used to leave the old ``success`` beside the killed attempt's outputs)."""

import json

from trigger_lambda.ledger import processed_files
from trigger_lambda.storage import LocalStorage

from pipeline.lake import Lake
from pipeline.steps.run_record import mark_run_started, write_run_record
from pipeline.steps.timing import read_steps, write_step


def finished_record(day: str) -> dict:
    entry = {"key": f"raw/orders/dt={day}/a.csv", "sha256": "ab", "size": 3, "modified": 1.0}
    return {
        "dataset": "orders",
        "logical_date": day,
        "status": "success",
        "files": [{**entry, "rows_read": 1, "rows_valid": 1, "rows_rejected": 0}],
        "totals": {
            "files": 1,
            "rows_read": 1,
            "rows_valid": 1,
            "rows_rejected": 0,
            "rows_duplicate": 0,
        },
        "written_at": "2024-03-02T00:00:00+00:00",
    }


def read_record(lake: Lake, day: str) -> dict:
    with open(lake.run_file("orders", day, "run.json")) as stream:
        return json.load(stream)


def test_a_rerun_replaces_success_with_running_before_its_first_step(tmp_path):
    lake = Lake(str(tmp_path))
    write_run_record(lake, finished_record("2024-03-01"))
    write_step(lake, "orders", "2024-03-01", "glue_job", {"status": "success"})
    assert [f.key for f in processed_files(LocalStorage(lake.root), "orders", "x")] == [
        "raw/orders/dt=2024-03-01/a.csv"
    ]

    mark_run_started(lake, "orders", "2024-03-01")

    record = read_record(lake, "2024-03-01")
    assert record["status"] == "running"
    assert record["previous"]["status"] == "success"
    assert record["previous"]["written_at"] == "2024-03-02T00:00:00+00:00"
    assert "files" not in record and "totals" not in record  # nothing of the old attempt
    assert read_steps(lake, "orders", "2024-03-01") == {}
    # while it runs (or after it was killed), no later date counts its files as processed
    assert processed_files(LocalStorage(lake.root), "orders", "x") == []


def test_marking_again_keeps_the_first_start_and_what_came_before(tmp_path):
    lake = Lake(str(tmp_path))
    write_run_record(lake, finished_record("2024-03-01"))
    mark_run_started(lake, "orders", "2024-03-01")
    first = read_record(lake, "2024-03-01")
    mark_run_started(lake, "orders", "2024-03-01")  # the sensor pokes again
    assert read_record(lake, "2024-03-01") == first


def test_a_first_run_has_no_previous(tmp_path):
    lake = Lake(str(tmp_path))
    mark_run_started(lake, "orders", "2024-03-05")
    record = read_record(lake, "2024-03-05")
    assert record["status"] == "running" and "previous" not in record
