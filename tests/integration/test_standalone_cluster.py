"""The orders Glue job on a real Spark standalone cluster (``spark_cluster.py``).

The product's own spark-submit command line (``pipeline.spark_submit``) with
``--master spark://…``, on a master and two one-core workers, against the same job in
local mode on an identical lake: the processed tables, the quarantined rows and the
job's counts must be the same. Then an executor JVM is killed (SIGKILL, as a lost node)
while it runs a task: Spark re-runs its tasks on the executor the worker relaunches, and
the job must still succeed with exactly the same output, no row lost or doubled.

The job runs as it is in ``glue_jobs/`` (its script, arguments and conf come from the
product), so these tests stay valid whatever the job's implementation.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import pytest

from pipeline.config import Settings
from pipeline.datasets import get_dataset
from pipeline.glue_args import glue_arguments
from pipeline.lake import Lake
from pipeline.spark_submit import spark_submit_command
from pipeline.steps.sense import find_new_files
from pipeline.steps.trigger import invoke_trigger_local
from tests.integration.orders_lake import TEST_SHUFFLE_PARTITIONS, pipeline_cli
from tests.integration.spark_cluster import StandaloneCluster, Worker, cluster_fixture

pytestmark = pytest.mark.integration

DATASET = "orders"
RUN_DATE = "2024-03-01"
# Big enough that each parse task runs for seconds (a kill lands mid-task), small enough
# for the default test run: ~25 s per cluster run on 2 busy cores.
ROWS, FILES = 300_000, 6
JOB_TIMEOUT_SECONDS = 300
MID_TASK_SECONDS = 1.0  # the victim's task has run this long when its executor is killed

two_workers = cluster_fixture(workers=2)


class SubmittedJob:
    """The job's spark-submit, running; its output collected line by line."""

    def __init__(self, lake: Lake, master: str, log: Path) -> None:
        spec = get_dataset(DATASET)
        settings = Settings(spark_master=master, spark_shuffle_partitions=TEST_SHUFFLE_PARTITIONS)
        command, env = spark_submit_command(
            spec.job_path, glue_arguments(lake, DATASET, RUN_DATE), settings
        )
        env["SPARK_LOCAL_IP"] = "127.0.0.1"  # the driver too: loopback only
        self.lines: list[str] = []
        self.log = log
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # the driver JVM and its Python: one group to kill
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with open(self.log, "w") as copy:
            for line in self.process.stdout:
                self.lines.append(line.rstrip())
                copy.write(line)

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self) -> int:
        try:
            code = self.process.wait(timeout=JOB_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"job still running after {JOB_TIMEOUT_SECONDS}s\n{self.tail()}")
        self._reader.join(timeout=30)
        self.seconds = time.monotonic() - self.started
        return code

    def kill(self) -> None:
        if self.running():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.lines[-lines:])


def run_job(lake: Lake, master: str, log: Path) -> SubmittedJob:
    job = SubmittedJob(lake, master, log)
    try:
        code = job.wait()
    finally:
        job.kill()
    assert code == 0, f"job on {master} exited {code}:\n{job.tail()}"
    return job


@pytest.fixture(scope="module")
def raw_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raw orders for one landing date, one whole file unreadable, as ``pipeline generate``
    writes them; each test copies ``raw/`` into a lake of its own."""
    folder = tmp_path_factory.mktemp("raw-orders")
    lake = folder / "lake"
    result = pipeline_cli(
        *("generate", DATASET, "--lake", str(lake), "--date", RUN_DATE),
        *("--rows", str(ROWS), "--files", str(FILES), "--bad-files", "1"),
        airflow_home=folder / "airflow",
    )
    assert result.returncode == 0, result.stderr
    return lake


def prepared_lake(raw_lake: Path, root: Path) -> Lake:
    """A lake holding a copy of the raw files (modification times kept) and the manifest
    the trigger Lambda writes for them, as the DAG's sensor and trigger steps do."""
    shutil.copytree(raw_lake / "raw", root / "raw")
    lake = Lake(str(root))
    day = date.fromisoformat(RUN_DATE)
    keys = [f.key for f in find_new_files(lake, DATASET, day)]
    assert len(keys) == FILES + 1
    invoke_trigger_local(lake, DATASET, day, keys)
    return lake


def job_outputs(lake: Lake) -> dict:
    """What the job wrote: every processed table's rows, the quarantined rows, its counts
    (lake paths made relative) and any hidden folders (``_temporary`` …) left behind."""
    root = Path(lake.root)
    processed = root / "processed"
    folders = sorted(processed.iterdir()) if processed.is_dir() else []
    tables = {f"processed/{folder.name}": folder for folder in folders if folder.is_dir()}
    tables["quarantine rows"] = root / "quarantine" / DATASET / "rows"
    counts = root / "_runs" / DATASET / RUN_DATE / "job_counts.json"
    return {
        "tables": {name: sorted_rows(folder) for name, folder in tables.items()},
        "job_counts": json.loads(counts.read_text().replace(lake.root, "<lake>")),
        "leftovers": sorted(
            str(p.relative_to(root))
            for top in (processed, root / "quarantine")
            for p in (top.rglob("*") if top.is_dir() else ())
            if p.is_dir() and p.name.startswith(("_", "."))
        ),
    }


def sorted_rows(folder: Path) -> pa.Table:
    """The rows of a Parquet folder sorted on every column: equal tables, equal rows.

    Arrow reads, sorts and compares 300K rows in a second or two, where a sorted Python
    list of dicts (``orders_lake.parquet_rows``) took ~17 s a table on busy cores.
    """
    if not folder.is_dir():
        return pa.table({})  # no such output: equal only to no output
    table = pads.dataset(folder, format="parquet", exclude_invalid_files=True).to_table()
    return table.sort_by([(name, "ascending") for name in table.column_names])


def _row_strings(table: pa.Table) -> Counter:
    return Counter(json.dumps(row, sort_keys=True, default=str) for row in table.to_pylist())


def assert_same_outputs(got: dict, want: dict) -> None:
    """Equal outputs; else a short account of what differs (no diff of 300K rows)."""
    problems = []
    if sorted(got["tables"]) != sorted(want["tables"]):
        problems.append(f"tables {sorted(got['tables'])}, want {sorted(want['tables'])}")
    for name, expected in want["tables"].items():
        rows = got["tables"].get(name)
        if rows is None or rows.equals(expected):
            continue
        if rows.schema != expected.schema:
            problems.append(f"{name}: schema\n{rows.schema}\nwant\n{expected.schema}")
            continue
        extra = _row_strings(rows) - _row_strings(expected)
        missing = _row_strings(expected) - _row_strings(rows)
        problems.append(
            f"{name}: {rows.num_rows} rows, want {expected.num_rows}; "
            f"{sum(extra.values())} unexpected, e.g. {list(extra)[:2]}; "
            f"{sum(missing.values())} missing, e.g. {list(missing)[:2]}"
        )
    for key in ("job_counts", "leftovers"):
        if got[key] != want[key]:
            problems.append(f"{key}: {got[key]!r}\n  want {want[key]!r}")
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def local_outputs(raw_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The job in local mode (``local[2]``, as the product runs it): the reference."""
    folder = tmp_path_factory.mktemp("local-run")
    lake = prepared_lake(raw_lake, folder / "lake")
    run_job(lake, "local[2]", folder / "job.log")
    outputs = job_outputs(lake)
    tables = outputs["tables"]
    assert tables[f"processed/{get_dataset(DATASET).tables[0]}"].num_rows, "no row stored"
    assert tables["quarantine rows"].num_rows, "no row quarantined"
    return outputs


def test_the_job_on_a_two_worker_cluster_writes_what_local_mode_writes(
    two_workers: StandaloneCluster, raw_lake: Path, local_outputs: dict, tmp_path: Path
):
    lake = prepared_lake(raw_lake, tmp_path / "lake")
    run_job(lake, two_workers.master_url, tmp_path / "job.log")

    assert_same_outputs(job_outputs(lake), local_outputs)
    # it really ran on the cluster: an executor on each worker
    apps = two_workers.status()["completedapps"]
    assert apps and all(w.executor_dirs() for w in two_workers.workers), two_workers.logs()


RUNNING_TASK = re.compile(r"Running task \S+ in stage \S+ \(TID (\d+)\)")
FINISHED_TASK = re.compile(r"Finished task \S+ in stage \S+ \(TID (\d+)\)")


def running_tasks(worker: Worker) -> set[str]:
    """Task ids this worker's live executor started and has not finished (its log)."""
    running: set[str] = set()
    executors = worker.executors()
    if not executors:
        return running
    for folder in worker.executor_dirs():
        log = folder / "stderr"
        if not log.is_file() or f"{executors[0].pid}@" not in log.read_text(errors="replace"):
            continue  # not the live executor's folder
        text = log.read_text(errors="replace")
        running |= set(RUNNING_TASK.findall(text)) - set(FINISHED_TASK.findall(text))
    return running


def test_an_executor_killed_mid_job_is_replaced_and_no_row_is_lost_or_doubled(
    two_workers: StandaloneCluster, raw_lake: Path, local_outputs: dict, tmp_path: Path
):
    lake = prepared_lake(raw_lake, tmp_path / "lake")
    job = SubmittedJob(lake, two_workers.master_url, tmp_path / "job.log")
    try:
        # an executor with Python workers, running a task for a second already: mid-task
        victim, tasks, seen = None, set(), {}
        while victim is None:
            if not job.running() or time.monotonic() - job.started > JOB_TIMEOUT_SECONDS:
                pytest.fail(f"no task ran in Python while the job ran:\n{job.tail()}")
            now = time.monotonic()
            for worker in two_workers.workers:
                tasks = running_tasks(worker)
                started = [seen.setdefault((worker.name, task), now) for task in tasks]
                if started and now - min(started) >= MID_TASK_SECONDS and worker.python_workers():
                    victim = worker
                    break
            time.sleep(0.1)
        before = len(victim.executor_dirs())
        killed = victim.kill_executor()
        killed_at = time.monotonic() - job.started
        code = job.wait()
    finally:
        job.kill()

    assert code == 0, f"the job failed after executor {killed} was killed:\n{job.tail()}"
    assert_same_outputs(job_outputs(lake), local_outputs)
    # the kill hit running tasks: the driver lost them with the executor and re-ran them
    lost = [line for line in job.lines if "Lost task" in line and "ExecutorLostFailure" in line]
    assert lost, f"no lost task in the driver's log (killed at {killed_at:.1f}s):\n{job.tail()}"
    # the worker launched a replacement executor for the app
    assert len(victim.executor_dirs()) > before, two_workers.logs()
    print(
        f"killed executor pid {killed} (tasks {sorted(tasks)}) at {killed_at:.1f}s; "
        f"job done in {job.seconds:.1f}s; driver: {lost[0]}"
    )
