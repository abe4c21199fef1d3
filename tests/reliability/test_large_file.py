"""Load: one raw file of 1 GiB goes through the real orders job with bounded memory.

The tokenizer streams a file in blocks (``raw_files.BLOCK_BYTES``) inside ``mapInArrow``,
so a Python worker's memory must not grow with the file's size, nor the JVM's. The job
runs twice, through spark-submit as the fault test runs it: on a 74 MiB file (the
reference) and on a 1 GiB file of the same rows. Every process of the job's tree is
sampled with psutil; a process's peak is its ``VmHWM`` (the kernel's high-water mark of
its resident set, so a peak between two samples is not missed).

The file is one generated orders export (~150,000 rows with the generator's dirt: every
row-level rejection reason, quoted notes with line breaks, a BOM) repeated: each repeat
renames its order ids (same length), so the repeats hold no ids in common and every count
of the 1 GiB run is the reference's times the repeat ratio.

The whole test takes ~3.5 minutes on 2 cores (the 1 GiB job ~160 s): one file is one
read task, so the job spreads its records over the cores after the tokenizer
(``raw_files.read_csv_records``), and the JVM's rules and cache run on both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psutil
import pytest
from trigger_lambda.events import build_event
from trigger_lambda.handler import handler

from pipeline.generate.orders import generate_orders
from tests.integration.orders_lake import orders_job_submit

pytestmark = pytest.mark.load
DAY = date(2024, 6, 1)
KEY = f"raw/orders/dt={DAY}/orders_export.csv"
CHUNK_ROWS = 150_000  # ~13 MB of text
BIG_BYTES = 1 << 30
REFERENCE_BYTES = 64 << 20
SAMPLE_SECONDS = 0.2
MIB = 1 << 20
WORKER_LIMIT = 1 << 30  # the bound on a Python worker's peak RSS
WORKER_MARGIN = 96 * MIB  # allocator drift, not the file (see the test's comments)
JVM_FACTOR = 1.25  # ditto
KINDS = ("worker", "jvm", "driver")
COUNTED = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")


def export_chunk(scratch: Path) -> tuple[bytes, bytes]:
    """The header (BOM included) and the data lines of one generated orders export."""
    (key,) = generate_orders(str(scratch), DAY, rows=CHUNK_ROWS, files=1, seed=7)
    data = (scratch / key).read_bytes()
    shutil.rmtree(scratch)
    cut = data.index(b"\n") + 1
    return data[:cut], data[cut:]


def write_export(lake: Path, header: bytes, body: bytes, size: int) -> int:
    """Write the raw file of at least ``size`` bytes; return how many repeats it holds.

    Repeat ``k`` spells today's ids ``ORD-A<k>-NNNNNN`` and the re-sent ids of the day
    before ``ORD-B<k>-NNNNNN``: 13 characters each, as ``ORD-20240601-`` is.
    """
    path = lake / KEY
    path.parent.mkdir(parents=True)
    today, previous = b"ORD-20240601-", b"ORD-20240531-"
    assert body.count(today) > 0.9 * CHUNK_ROWS and body.count(previous) > 0
    repeats = -(-(size - len(header)) // len(body))
    with open(path, "wb") as out:
        out.write(header)
        for k in range(repeats):
            out.write(body.replace(today, b"ORD-A%07d-" % k).replace(previous, b"ORD-B%07d-" % k))
    assert path.stat().st_size >= size
    response = handler(build_event(str(lake), "orders", str(DAY), [KEY]))  # writes the manifest
    assert response.get("ok", True), response
    return repeats


@dataclass
class Peak:
    """One process of the job's tree: its kind, peak RSS (VmHWM) and when it was reached."""

    kind: str
    bytes: int = 0
    at: float = 0.0  # seconds into the run


@dataclass
class Run:
    """What one job run did and held."""

    seconds: float
    returncode: int
    counts: dict
    peaks: list[Peak]
    rss: dict[str, list[tuple[float, int]]]  # kind: (seconds, VmRSS summed over its processes)
    log_tail: str

    def peak(self, kind: str) -> Peak:
        return max(
            (p for p in self.peaks if p.kind == kind), key=lambda p: p.bytes, default=Peak(kind)
        )

    def by_fifth(self, kind: str) -> list[int]:
        """The kind's largest sampled RSS in each fifth of the run, in MiB: flat, or
        growing as the file is read."""
        fifths = [0] * 5
        for seconds, rss in self.rss[kind]:
            part = min(4, int(5 * seconds / self.seconds))
            fifths[part] = max(fifths[part], rss // MIB)
        return fifths

    def figures(self, label: str, size: int) -> str:
        totals = self.counts.get("totals", {})
        worker, jvm = self.peak("worker"), self.peak("jvm")
        workers = sorted(p.bytes // MIB for p in self.peaks if p.kind == "worker")
        return (
            f"{label}: {size / MIB:.0f} MiB raw, job {self.seconds:.1f} s, "
            f"rows read {totals.get('rows_read')} (valid {totals.get('rows_valid')}, "
            f"rejected {totals.get('rows_rejected')}, duplicate {totals.get('rows_duplicate')}); "
            f"Python worker peak RSS {worker.bytes / MIB:.0f} MiB, reached at {worker.at:.0f} s "
            f"(workers {workers} MiB); JVM peak RSS {jvm.bytes / MIB:.0f} MiB, reached at "
            f"{jvm.at:.0f} s; driver Python peak {self.peak('driver').bytes / MIB:.0f} MiB; "
            f"RSS by fifth of the run: JVM {self.by_fifth('jvm')}, "
            f"workers {self.by_fifth('worker')} MiB"
        )


def _status(pid: int) -> dict[str, int]:
    """The ``Vm*``/``Rss*`` sizes of ``/proc/<pid>/status``, in bytes."""
    sizes = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name.startswith(("Vm", "Rss")) and value.strip().endswith("kB"):
                sizes[name] = int(value.split()[0]) * 1024
    return sizes


def _kind(proc: psutil.Process) -> str | None:
    """Which part of the job a process of its tree is (None: not measured)."""
    command = " ".join(proc.cmdline())
    if proc.name() == "java":  # the driver JVM, not the launcher's java that builds its command
        return None if "org.apache.spark.launcher.Main" in command else "jvm"
    if "pyspark.daemon" in command:  # forked workers keep their daemon's command line
        return "worker" if "pyspark.daemon" in " ".join(proc.parent().cmdline()) else None
    if "pyspark/worker" in command or "pyspark.worker" in command:  # no daemon
        return "worker"
    if "orders_job.py" in command and "python" in proc.name():
        return "driver"
    return None


def run_orders_job(lake: Path) -> Run:
    """The real orders job through spark-submit, as the fault test runs it, sampled."""
    command, env = orders_job_submit(lake, str(DAY))
    log_path = lake.parent / f"{lake.name}-job.log"
    # by (pid, name): spark-submit's shell execs the JVM, which keeps its pid
    seen: dict[tuple[int, str], Peak | None] = {}
    series: dict[str, list[tuple[float, int]]] = {kind: [] for kind in KINDS}
    started = time.monotonic()
    with open(log_path, "w") as log:
        job = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        root = psutil.Process(job.pid)
        while job.poll() is None:
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = []
            now, total = time.monotonic() - started, dict.fromkeys(KINDS, 0)
            for proc in procs:
                try:
                    key = (proc.pid, proc.name())
                    if key not in seen:
                        kind = _kind(proc)
                        seen[key] = Peak(kind) if kind else None
                    if (peak := seen[key]) is None:
                        continue
                    sizes = _status(proc.pid)
                except (psutil.Error, OSError):
                    continue
                if sizes.get("VmHWM", 0) > peak.bytes:
                    peak.bytes, peak.at = sizes["VmHWM"], now
                total[peak.kind] += sizes.get("VmRSS", 0)
            for kind, rss in total.items():
                series[kind].append((now, rss))
            time.sleep(SAMPLE_SECONDS)
    counts = lake / f"_runs/orders/{DAY}/job_counts.json"
    return Run(
        seconds=time.monotonic() - started,
        returncode=job.returncode,
        counts=json.loads(counts.read_text()) if counts.exists() else {},
        peaks=[peak for peak in seen.values() if peak],
        rss=series,
        log_tail=log_path.read_text(errors="replace")[-3000:],
    )


def test_a_1_gib_file_streams_through_with_flat_memory(tmp_path):
    header, body = export_chunk(tmp_path / "chunk")
    runs = {}
    for label, size in (("reference", REFERENCE_BYTES), ("1 GiB", BIG_BYTES)):
        lake = tmp_path / label.replace(" ", "_")
        repeats = write_export(lake, header, body, size)
        run = run_orders_job(lake)
        shutil.rmtree(lake)  # 1 GiB of raw text and its outputs: not kept in the tmp dirs
        runs[label] = (repeats, run)
        print(run.figures(label, len(header) + repeats * len(body)))
        assert run.returncode == 0, run.log_tail
        totals = run.counts["totals"]
        assert totals["rows_read"] == repeats * CHUNK_ROWS
        assert (
            totals["rows_valid"] + totals["rows_rejected"] + totals["rows_duplicate"]
            == (totals["rows_read"])
        )
        assert run.peak("worker").bytes and run.peak("jvm").bytes, "the job was not sampled"

    (small_repeats, small), (big_repeats, big) = runs["reference"], runs["1 GiB"]
    # the repeats share no order id: every count is per repeat the reference's
    assert {k: big.counts["totals"][k] * small_repeats for k in COUNTED} == {
        k: small.counts["totals"][k] * big_repeats for k in COUNTED
    }
    assert big.counts["totals"]["rows_rejected"] > 0
    assert big.counts["totals"]["rows_duplicate"] > 0
    # Every Python worker stays under the bound, and the 1 GiB file's worker holds
    # about what the reference's does: a block and the arrays made from it, not the file.
    # Measured peaks: 277-308 MiB at 74 MiB, 328 at 492 MiB, 282-358 at 1 GiB. The drift
    # levels off (allocator fragmentation; alone, the tokenizer peaks at ~290 MiB on its
    # second block whatever the file); a leak of 1 MiB per 8 MiB block would add 128 MiB.
    assert big.peak("worker").bytes < WORKER_LIMIT
    assert big.peak("worker").bytes <= small.peak("worker").bytes + WORKER_MARGIN
    # The JVM is flat: its heap is capped (spark-submit's default driver memory, 1g) and
    # fills in either run; measured peaks 1242-1356 MiB (reference), 1383 MiB (1 GiB, 4
    # runs): a ratio up to 1.11, so 1.25 leaves room for a reference that peaks lower.
    assert big.peak("jvm").bytes <= small.peak("jvm").bytes * JVM_FACTOR
