"""A warm local Spark driver for a whole ``pipeline run``/``backfill`` command.

Each Glue job of a local run used to pay for a JVM, a SparkSession, Python workers and its
imports (GX for validation): ~10 s per job, two or more jobs per run date. The
``pipeline`` command starts ``glue_jobs/local_runner.py`` once through spark-submit and
points ``PIPELINE_SPARK_RUNNER`` at its socket; :func:`pipeline.spark_submit.run_glue_script`
then sends each job there. The scripts, arguments and outputs are the same as with a
spark-submit per job, which remains the path for Airflow's own workers and the fallback
when the runner cannot be reached.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import REPO_ROOT, Settings
from .spark_submit import spark_submit_command

log = logging.getLogger(__name__)
RUNNER_SCRIPT = REPO_ROOT / "glue_jobs" / "local_runner.py"
RUNNER_ENV = "PIPELINE_SPARK_RUNNER"
START_TIMEOUT_SECONDS = 180
_starting: dict[str, subprocess.Popen] = {}  # runners this process started, by socket


@contextmanager
def warm_spark_runner(
    settings: Settings, dump_classes_to: Path | None = None
) -> Iterator[str | None]:
    """Start the runner, export its socket for the jobs of this process, stop it at the end.

    Does not wait for it: it starts while the DAG's first steps run, and the first job
    waits for it (:func:`run_on_runner`). Yields the socket path. ``dump_classes_to``: the
    runner's JVM writes the classes it loaded there when it stops (``spark_class_archive``).
    """
    folder = Path(tempfile.mkdtemp(prefix="spark-runner-"))
    path = str(folder / "runner.sock")
    command, env = spark_submit_command(
        RUNNER_SCRIPT,
        {"--socket": path, "--parent-pid": str(os.getpid())},
        settings,
        dump_classes_to,
    )
    output = open(folder / "runner.log", "w")  # noqa: SIM115 - closed in finally
    # A session of its own: Ctrl-C reaches this command only, which then stops the runner
    # (whole process group, JVM and Python workers included); if this command is killed
    # outright, the runner's watchdog sees it gone and stops by itself.
    process = subprocess.Popen(
        command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    _starting[path] = process
    previous = os.environ.get(RUNNER_ENV)
    os.environ[RUNNER_ENV] = path
    log.info("warm Spark runner starting (%s; its log: %s)", path, folder / "runner.log")
    interrupted = True
    try:
        yield path
        interrupted = False
    finally:
        _starting.pop(path, None)
        if previous is None:
            os.environ.pop(RUNNER_ENV, None)
        else:
            os.environ[RUNNER_ENV] = previous
        _stop(process, path, interrupted)
        output.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(path: str) -> bool:
    """Wait for the socket of a runner this process is starting; False if it died."""
    process = _starting.get(path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not os.path.exists(path):
        if process is None or process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _stop(process: subprocess.Popen, path: str, interrupted: bool = False) -> None:
    """Ask the runner to stop between jobs; when interrupted (a job may be in hand), or
    when it does not stop, end its whole process group (spark-submit's JVM, the runner,
    the Python workers)."""
    if process.poll() is None and not interrupted:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.connect(path)
                client.sendall(b'{"stop": true}\n')
            process.wait(timeout=60)
            return
        except (OSError, subprocess.TimeoutExpired):
            pass
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the JVM's shutdown hooks clean its temp
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_on_runner(
    path: str, script: Path, argv: list[str], relay: Callable[[str], None]
) -> int | None:
    """Run ``script`` on the runner at ``path``, relaying its output; its exit code.

    None when the runner cannot be reached (nothing ran). A runner that dies mid-job
    counts as a failed job (exit code -1), as a killed spark-submit would.
    """
    if not _wait_ready(path):
        return None
    try:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(path)
    except OSError:
        return None
    with client:
        client.sendall((json.dumps({"script": str(script), "argv": argv}) + "\n").encode())
        for raw in client.makefile("r", encoding="utf-8", errors="replace"):
            message = json.loads(raw)
            if "exit" in message:
                return int(message["exit"])
            relay(message["line"])
    relay("the warm Spark runner stopped before the job ended")
    return -1
