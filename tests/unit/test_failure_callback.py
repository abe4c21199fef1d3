"""The on-failure callback records the failure in the run record and logs a summary."""

import json
import logging
from types import SimpleNamespace

from pipeline.orchestration.callbacks import record_failure


def test_failure_is_recorded_in_run_record_and_logged(lake_root, monkeypatch, caplog):
    monkeypatch.setenv("PIPELINE_LAKE_ROOT", str(lake_root))
    context = {
        "ti": SimpleNamespace(task_id="glue_job", try_number=3),
        "params": {"dataset": "orders"},
        "ds": "2024-03-01",
        "exception": RuntimeError("executor lost"),
    }
    with caplog.at_level(logging.ERROR):
        record_failure(context)
    record = json.loads((lake_root / "_runs/orders/2024-03-01/run.json").read_text())
    assert record["status"] == "failed"
    assert "glue_job: executor lost" in record["error"]
    assert "PIPELINE FAILURE: dataset=orders date=2024-03-01 step=glue_job try=3" in caplog.text


def test_callback_never_raises_even_when_the_lake_is_unusable(monkeypatch, caplog):
    monkeypatch.setenv("PIPELINE_LAKE_ROOT", "/proc/definitely/not/writable")
    record_failure(
        {
            "ti": SimpleNamespace(task_id="crawl"),
            "params": {"dataset": "orders"},
            "ds": "2024-03-01",
        }
    )
    assert "could not record the failure of crawl" in caplog.text
