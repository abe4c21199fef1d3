"""Run a command and measure it: wall time, CPU time and peak memory of its process tree.

Peak memory is the largest sum over the process and all of its descendants (the JVM, the
Python driver and Python workers of a spark-submit), sampled with psutil, in two ways:

- RSS (resident set size), every ``interval`` seconds. Summing RSS counts a page shared
  by several processes once per process: Spark's Python workers are forked from one
  daemon and share its pages, so the sum errs high, by how many workers are alive;
- PSS (proportional set size, ``/proc/<pid>/smaps_rollup``), every ``pss_every``
  samples (reading it walks the page tables, too slow for every sample): a shared page
  counts as 1/n in each of its n processes, so the sum is the memory the tree holds.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

RESULT_PREFIX = "BENCH_RESULT "


@dataclass
class Measurement:
    command: list[str]
    returncode: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    peak_pss_mb: float
    peak_jvm_rss_mb: float
    peak_subprocess_pss_mb: float  # the command's child processes (the job: spark-submit's tree)
    max_processes: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    result: dict = field(default_factory=dict)
    log_path: str = ""

    def as_dict(self) -> dict:
        return {
            "seconds": round(self.seconds, 2),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "peak_pss_mb": round(self.peak_pss_mb, 1),
            "peak_jvm_rss_mb": round(self.peak_jvm_rss_mb, 1),
            "peak_subprocess_pss_mb": round(self.peak_subprocess_pss_mb, 1),
            "max_processes": self.max_processes,
            "load_before": [round(x, 2) for x in self.load_before],
            "load_after": [round(x, 2) for x in self.load_after],
            "returncode": self.returncode,
            "log": self.log_path,
            "result": self.result,
        }


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _tree_rss(procs: list[psutil.Process]) -> tuple[int, int, int]:
    """(total RSS, JVM RSS, process count) of ``procs``, in bytes."""
    total = jvm = count = 0
    for proc in procs:
        try:
            rss = proc.memory_info().rss
            name = proc.name()
        except psutil.Error:
            continue
        total += rss
        count += 1
        if name == "java":
            jvm += rss
    return total, jvm, count


def _tree_pss(procs: list[psutil.Process]) -> int:
    """Summed PSS of ``procs`` in bytes (0 where the kernel does not report it)."""
    total = 0
    for proc in procs:
        try:
            with open(f"/proc/{proc.pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


def run_measured(
    command: list[str],
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    interval: float = 0.05,
    pss_every: int = 10,
) -> Measurement:
    """Run ``command`` to completion (output to ``log_path``) while sampling its tree."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()
    peak = peak_pss = peak_subprocess_pss = peak_jvm = max_procs = samples = 0
    started = time.monotonic()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd, text=True
        )
        root = psutil.Process(process.pid)
        while process.poll() is None:
            procs = _tree(root)
            total, jvm, count = _tree_rss(procs)
            if samples % pss_every == 0:
                own, subprocesses = _tree_pss(procs[:1]), _tree_pss(procs[1:])
                peak_pss = max(peak_pss, own + subprocesses)
                peak_subprocess_pss = max(peak_subprocess_pss, subprocesses)
            samples += 1
            peak, peak_jvm = max(peak, total), max(peak_jvm, jvm)
            max_procs = max(max_procs, count)
            time.sleep(interval)
        seconds = time.monotonic() - started
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after_children.ru_utime - before_children.ru_utime) + (
        after_children.ru_stime - before_children.ru_stime
    )
    return Measurement(
        command=command,
        returncode=process.returncode,
        seconds=seconds,
        cpu_seconds=cpu,
        peak_rss_mb=peak / 2**20,
        peak_pss_mb=peak_pss / 2**20,
        peak_jvm_rss_mb=peak_jvm / 2**20,
        peak_subprocess_pss_mb=peak_subprocess_pss / 2**20,
        max_processes=max_procs,
        load_before=load_before,
        load_after=os.getloadavg(),
        result=_read_result(log_path),
        log_path=str(log_path),
    )


def _read_result(log_path: Path) -> dict:
    """The engine's last ``BENCH_RESULT {json}`` line, if it printed one."""
    result: dict = {}
    with open(log_path, errors="replace") as log:
        for line in log:
            if line.startswith(RESULT_PREFIX):
                result = json.loads(line[len(RESULT_PREFIX) :])
    return result


def emit_result(result: dict) -> None:
    """What an engine subprocess prints last, for :func:`run_measured` to pick up."""
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)
