"""Run a Glue job script on local Spark through ``spark-submit``.

Glue arguments (``{"--key": "value"}``) are passed through unchanged, so the script
parses exactly what Glue would give it. Spark's own chatter goes to a log file
(``log4j2.properties`` in ``glue_jobs/local-spark-conf/``); the job's lines are relayed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections import deque
from pathlib import Path

from .config import SPARK_RUNNER_OFF, Settings
from .spark_class_archive import submit_options

log = logging.getLogger(__name__)


class GlueJobFailed(RuntimeError):
    """The job exited non-zero; the message carries its last log lines."""


def spark_submit_command(
    script: Path,
    glue_arguments: dict[str, str],
    settings: Settings,
    dump_classes_to: Path | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The spark-submit command line for ``script`` with Glue-style arguments, and the
    environment it runs with: this venv's Python, the local Spark conf and, once built,
    the class archive (``dump_classes_to``: build one, see :mod:`spark_class_archive`)."""
    options, conf_dir = submit_options(settings, dump_classes_to)
    command = [
        str(Path(sys.executable).with_name("spark-submit")),
        "--master",
        settings.spark_master,
        "--driver-memory",
        settings.spark_driver_memory,
        "--conf",
        f"spark.sql.shuffle.partitions={settings.spark_shuffle_partitions}",
        *options,
        str(script),
    ]
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_CONF_DIR": conf_dir,
    }
    return command + _argv(glue_arguments), env


def run_glue_script(script: Path, glue_arguments: dict[str, str], settings: Settings) -> None:
    """Run the script to completion, relaying its output to the log; raise on failure.

    With a warm runner (``settings.spark_runner``, see :mod:`pipeline.spark_runner`) the
    script runs in its long-lived driver; otherwise, or when it cannot be reached, in a
    spark-submit of its own.
    """
    tail: deque[str] = deque(maxlen=40)

    def relay(line: str) -> None:
        tail.append(line)
        log.info("[%s] %s", script.stem, line)

    arguments = _argv(glue_arguments)
    code = None
    if settings.spark_runner not in ("", SPARK_RUNNER_OFF):
        from .spark_runner import run_on_runner

        log.info("warm runner: %s %s", script.name, " ".join(arguments))
        code = run_on_runner(settings.spark_runner, script, arguments, relay)
        if code is None:
            log.warning("warm Spark runner unreachable; using spark-submit")
    if code is None:
        code = _spark_submit(script, glue_arguments, settings, relay)
    if code != 0:
        last = "\n".join(tail)
        raise GlueJobFailed(f"{script.name} exited with code {code}; last output:\n{last}")


def _argv(glue_arguments: dict[str, str]) -> list[str]:
    argv: list[str] = []
    for key, value in glue_arguments.items():
        argv += [key if key.startswith("--") else f"--{key}", str(value)]
    return argv


def _spark_submit(script: Path, glue_arguments: dict[str, str], settings: Settings, relay) -> int:
    command, env = spark_submit_command(script, glue_arguments, settings)
    log.info("spark-submit %s %s", script.name, " ".join(command[command.index(str(script)) + 1 :]))
    with subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            relay(line.rstrip())
        return process.wait()
