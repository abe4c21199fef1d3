"""A real Spark standalone cluster on loopback: one master and N one-core workers.

Why: on AWS the Glue job runs on a cluster, a driver and executors in other JVMs on other
hosts. Local mode (``local[N]``) runs the driver and every task in one JVM, so it hides
what only a cluster shows: closures, rows and Arrow batches really serialised between
processes, ``glue_lib`` shipped to executors that do not have it (``addPyFile``, as
``--extra-py-files`` does on Glue), outputs written by executors and committed by the
driver, and an executor lost mid-job (a spot node reclaimed, an OOM-killed container),
whose tasks Spark must re-run without losing or doubling a row.

The cluster is the pinned pyspark's own (``spark-class ...Master`` / ``...Worker``), each
process on free loopback ports with its work, local and log folders under one temporary
folder. :func:`standalone_cluster` starts it and waits until the master reports every
worker ALIVE; at the end it kills the whole process tree (master, workers, their
executors and the executors' Python workers), so nothing outlives it.
:func:`cluster_fixture` makes a pytest fixture of it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

VENV_BIN = Path(sys.executable).parent
SPARK_CLASS = str(VENV_BIN / "spark-class")
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
EXECUTOR_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend"
START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 15


class ClusterError(RuntimeError):
    """The cluster did not come up; the message carries the processes' last log lines."""


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class SparkDaemon:
    """A master or worker JVM this module started (``spark-class`` execs the JVM)."""

    name: str
    process: subprocess.Popen
    port: int
    webui_port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Worker(SparkDaemon):
    work_dir: Path = field(default=Path())

    def executors(self) -> list[psutil.Process]:
        """The executor JVMs this worker launched (its children running the backend)."""
        found = []
        try:
            children = psutil.Process(self.pid).children()
        except psutil.NoSuchProcess:
            return []
        for child in children:
            with suppress(psutil.Error):
                if EXECUTOR_CLASS in child.cmdline():
                    found.append(child)
        return found

    def python_workers(self) -> list[psutil.Process]:
        """Python processes under this worker's executors (``pyspark.daemon`` and the
        Python workers it forks): they exist once a task runs Python code."""
        found = []
        for executor in self.executors():
            with suppress(psutil.Error):
                for child in executor.children(recursive=True):
                    with suppress(psutil.Error):
                        if "python" in child.name().lower():
                            found.append(child)
        return found

    def kill_executor(self) -> int:
        """SIGKILL this worker's executor JVM (as a lost node would); its pid."""
        executors = self.executors()
        if not executors:
            raise ClusterError(f"{self.name} runs no executor")
        executor = executors[0]
        executor.send_signal(signal.SIGKILL)
        return executor.pid

    def executor_dirs(self) -> list[Path]:
        """``<work dir>/<app id>/<executor id>``: one per executor this worker launched."""
        if not self.work_dir.is_dir():
            return []
        return sorted(p for p in self.work_dir.glob("app-*/*") if p.is_dir())


@dataclass
class StandaloneCluster:
    """A running cluster: ``master_url`` for ``--master``, its workers, the master's JSON."""

    folder: Path
    master: SparkDaemon
    workers: list[Worker]
    env: dict[str, str]

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.master.port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.master.webui_port}"

    def status(self) -> dict:
        """The master's JSON (``/json/``): workers and their state, apps."""
        with urllib.request.urlopen(f"{self.web_url}/json/", timeout=5) as response:
            return json.load(response)

    def alive_workers(self) -> int:
        try:
            status = self.status()
        except OSError:
            return 0
        return sum(1 for w in status.get("workers", []) if w.get("state") == "ALIVE")

    def executors(self) -> list[psutil.Process]:
        return [e for w in self.workers for e in w.executors()]

    def processes(self) -> list[psutil.Process]:
        """Every live process of the cluster: daemons and all their descendants."""
        found = []
        for daemon in (self.master, *self.workers):
            with suppress(psutil.NoSuchProcess):
                root = psutil.Process(daemon.pid)
                found += [root, *root.children(recursive=True)]
        return found

    def logs(self) -> str:
        return "\n".join(
            f"--- {d.name} ({d.log}) ---\n{_tail(d.log)}" for d in (self.master, *self.workers)
        )


def cluster_env(folder: Path) -> dict[str, str]:
    """Environment of the daemons: loopback only, this venv's Python, folders under
    ``folder``, an empty conf folder (Spark's default INFO logging, into the log files)."""
    conf = folder / "conf"
    for name in ("conf", "work", "local", "logs"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_"))},
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_CONF_DIR": str(conf),
        "SPARK_WORKER_DIR": str(folder / "work"),
        "SPARK_LOCAL_DIRS": str(folder / "local"),
        "SPARK_LOG_DIR": str(folder / "logs"),
        "SPARK_PID_DIR": str(folder / "logs"),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }


def _start(name: str, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as output:
        # own session: the daemon and everything it starts form one process group
        return subprocess.Popen(
            [SPARK_CLASS, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextmanager
def standalone_cluster(
    folder: Path, workers: int = 2, memory: str = "1g"
) -> Iterator[StandaloneCluster]:
    """Start a master and ``workers`` one-core workers; yield once all are ALIVE.

    Everything the cluster started is killed on exit, even if start-up failed half-way.
    """
    folder.mkdir(parents=True, exist_ok=True)
    env = cluster_env(folder)
    logs = folder / "logs"
    port, webui = free_port(), free_port()
    master = SparkDaemon(
        "master",
        _start(
            "master",
            [MASTER_CLASS, "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(webui)],
            env,
            logs / "master.log",
        ),
        port,
        webui,
        logs / "master.log",
    )
    cluster = StandaloneCluster(folder, master, [], env)
    try:
        for index in range(workers):
            worker_port, worker_webui = free_port(), free_port()
            work_dir = folder / "work" / f"worker-{index}"
            log = logs / f"worker-{index}.log"
            args = [
                WORKER_CLASS,
                cluster.master_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(worker_port),
                "--webui-port",
                str(worker_webui),
                "--cores",
                "1",
                "--memory",
                memory,
                "--work-dir",
                str(work_dir),
            ]
            cluster.workers.append(
                Worker(
                    f"worker-{index}",
                    _start(f"worker-{index}", args, env, log),
                    worker_port,
                    worker_webui,
                    log,
                    work_dir,
                )
            )
        _wait_alive(cluster, workers)
        yield cluster
    finally:
        stop_cluster(cluster)


def _wait_alive(cluster: StandaloneCluster, workers: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while cluster.alive_workers() < workers:
        dead = [d.name for d in (cluster.master, *cluster.workers) if not d.alive()]
        if dead or time.monotonic() > deadline:
            why = f"{', '.join(dead)} exited" if dead else f"not up in {START_TIMEOUT_SECONDS}s"
            raise ClusterError(f"Spark cluster: {why}\n{cluster.logs()}")
        time.sleep(0.25)


def stop_cluster(cluster: StandaloneCluster) -> None:
    """Kill the daemons and every descendant (executors, Python workers); reap them."""
    tree = cluster.processes()
    daemons = [cluster.master, *cluster.workers]
    for daemon in daemons:  # SIGTERM first: a worker stops its executors
        with suppress(ProcessLookupError):
            os.killpg(daemon.pid, signal.SIGTERM)
    for daemon in daemons:
        try:
            daemon.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(daemon.pid, signal.SIGKILL)
            daemon.process.wait()
    # anything still alive (e.g. a Python worker that left its group) gets SIGKILL
    for process in tree:
        with suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(tree, timeout=STOP_TIMEOUT_SECONDS)
    for daemon in daemons:  # the process groups, in case anything joined them later
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(daemon.pid, signal.SIGKILL)
    left = [p.pid for p in tree if _running(p)]
    if left:
        raise ClusterError(f"Spark cluster processes still running after stop: {left}")


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def cluster_fixture(workers: int = 2, memory: str = "1g", scope: str = "module"):
    """A pytest fixture yielding a :class:`StandaloneCluster` of ``workers`` workers::

    two_workers = cluster_fixture(workers=2)  # at module level of a test file
    """

    @pytest.fixture(scope=scope)
    def _cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
        with standalone_cluster(
            tmp_path_factory.mktemp(f"spark-cluster-{workers}w"), workers, memory
        ) as cluster:
            yield cluster

    return _cluster
