"""The warm Spark runner dies with its command: ``kill -9`` or Ctrl-C of the command
during a job leaves no JVM, no ``local_runner.py`` and no ``spark-runner-*`` folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

COMMAND = textwrap.dedent(
    """
    import signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    from pipeline.config import Settings
    from pipeline.spark_runner import run_on_runner, warm_spark_runner
    settings = Settings(spark_master="local[1]", spark_shuffle_partitions="1")
    with warm_spark_runner(settings) as path:
        print(path, flush=True)
        run_on_runner(path, sys.argv[1], [], lambda line: print(line, flush=True))
    """
)
LONG_JOB = """
import time
from glue_lib.session import build_spark
build_spark("long").range(10).count()
print("job started", flush=True)
time.sleep(600)
"""


def processes_naming(text: str) -> list[int]:
    """Pids whose command line mentions ``text`` (the runner's socket path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


@pytest.fixture
def commands():
    """Commands a test started: killed with their runners if the test ends early."""
    started: list[subprocess.Popen] = []
    yield started
    for command in started:
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)
            command.wait()


def start_command_in_a_job(tmp_path: Path, commands: list) -> tuple[subprocess.Popen, str]:
    temp = tmp_path / "tmp"  # where the runner folder and the staged glue_lib zip go
    temp.mkdir()
    script = tmp_path / "long_job.py"
    script.write_text(LONG_JOB)
    command = subprocess.Popen(
        [sys.executable, "-c", COMMAND, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, as a terminal's foreground job
        env={**os.environ, "PIPELINE_SKIP_AIRFLOW_VARIABLES": "1", "TMPDIR": str(temp)},
    )
    commands.append(command)
    socket_path = command.stdout.readline().strip()
    for line in command.stdout:
        if "job started" in line:
            break
    assert processes_naming(socket_path), "the runner should be running its job"
    made = sorted(p.name.split("_")[0].split("-")[0] for p in (tmp_path / "tmp").iterdir())
    assert made == ["glue", "spark"]  # glue_lib_* (the staged zip), spark-runner-* (socket)
    return command, socket_path


def wait_until_gone(socket_path: str, seconds: float = 60) -> list[int]:
    deadline = time.monotonic() + seconds
    while processes_naming(socket_path) and time.monotonic() < deadline:
        time.sleep(0.5)
    return processes_naming(socket_path)


def test_kill_9_of_the_command_stops_the_runner_and_removes_its_folder(tmp_path, commands):
    command, socket_path = start_command_in_a_job(tmp_path, commands)
    command.kill()
    command.wait()
    assert wait_until_gone(socket_path) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_ctrl_c_of_the_command_stops_the_runner_in_the_middle_of_a_job(tmp_path, commands):
    command, socket_path = start_command_in_a_job(tmp_path, commands)
    started = time.monotonic()
    os.killpg(command.pid, signal.SIGINT)
    command.wait(timeout=90)
    assert wait_until_gone(socket_path, seconds=5) == []
    assert list((tmp_path / "tmp").iterdir()) == []
    assert time.monotonic() - started < 45  # not the job's ten minutes
