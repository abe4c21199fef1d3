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

from .config import REPO_ROOT, Settings

log = logging.getLogger(__name__)
LOCAL_SPARK_CONF = REPO_ROOT / "glue_jobs" / "local-spark-conf"


class GlueJobFailed(RuntimeError):
    """The job exited non-zero; the message carries its last log lines."""


def spark_submit_command(
    script: Path, glue_arguments: dict[str, str], settings: Settings
) -> list[str]:
    """The spark-submit command line for ``script`` with Glue-style arguments."""
    command = [
        str(Path(sys.executable).with_name("spark-submit")),
        "--master",
        settings.spark_master,
        "--driver-memory",
        settings.spark_driver_memory,
        "--conf",
        f"spark.sql.shuffle.partitions={settings.spark_shuffle_partitions}",
        str(script),
    ]
    for key, value in glue_arguments.items():
        command += [key if key.startswith("--") else f"--{key}", str(value)]
    return command


def run_glue_script(script: Path, glue_arguments: dict[str, str], settings: Settings) -> None:
    """Run the script to completion, relaying its output to the log; raise on failure."""
    command = spark_submit_command(script, glue_arguments, settings)
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_CONF_DIR": str(LOCAL_SPARK_CONF),
    }
    log.info("spark-submit %s %s", script.name, " ".join(command[command.index(str(script)) + 1 :]))
    tail: deque[str] = deque(maxlen=40)
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip()
            tail.append(line)
            log.info("[%s] %s", script.stem, line)
        code = process.wait()
    if code != 0:
        last = "\n".join(tail)
        raise GlueJobFailed(f"{script.name} exited with code {code}; last output:\n{last}")
