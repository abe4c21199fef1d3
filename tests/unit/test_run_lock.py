"""One run per dataset and date: the second command stops with one line, a dead holder's
lock is taken over, other dates run beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.lake import Lake
from pipeline.run_lock import RunLocked, run_lock

HOLD = textwrap.dedent(
    """
    import sys, time
    from pipeline.lake import Lake
    from pipeline.run_lock import run_lock
    with run_lock(Lake(sys.argv[1]), "orders", sys.argv[2]):
        print("held", flush=True)
        time.sleep(120)
    """
)


@pytest.fixture
def holder(tmp_path):
    """A separate process holding the orders lock of 2024-03-01."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path), "2024-03-01"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait()


def test_a_second_holder_is_refused_with_who_holds_it(tmp_path, holder):
    with pytest.raises(RunLocked) as refused, run_lock(Lake(str(tmp_path)), "orders", "2024-03-01"):
        pass
    assert f"pid {holder.pid}" in str(refused.value)
    assert "orders 2024-03-01 is already being run" in str(refused.value)


def test_other_dates_and_datasets_are_free(tmp_path, holder):
    lake = Lake(str(tmp_path))
    with run_lock(lake, "orders", "2024-03-02"), run_lock(lake, "salaries", "2024-03-01"):
        pass


def test_the_lock_of_a_killed_holder_is_taken_at_once(tmp_path, holder):
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with run_lock(Lake(str(tmp_path)), "orders", "2024-03-01") as mine:
        assert mine["pid"] == os.getpid()
    # released: taken again
    with run_lock(Lake(str(tmp_path)), "orders", "2024-03-01"):
        pass


def test_pipeline_run_of_a_locked_date_is_one_line_before_anything_starts(tmp_path, holder, capsys):
    started = time.monotonic()
    code = main(["run", "orders", "--lake", str(tmp_path), "--date", "2024-03-01"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.startswith("error: orders 2024-03-01 is already being run by pid")
    assert len(err.splitlines()) == 1
    assert time.monotonic() - started < 5  # no Airflow, no Spark
    assert not (Path(tmp_path) / "_runs/orders/2024-03-01/run.json").exists()


def test_a_backfill_over_a_locked_date_starts_nothing(tmp_path, holder, capsys):
    code = main(
        [
            "backfill",
            "orders",
            "--lake",
            str(tmp_path),
            "--from",
            "2024-02-28",
            "--to",
            "2024-03-02",
        ]
    )
    assert code == 1
    assert "2024-03-01 is already being run" in capsys.readouterr().err
    # the dates it had locked before it met the held one are free again
    with run_lock(Lake(str(tmp_path)), "orders", "2024-02-28"):
        pass
