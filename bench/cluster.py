"""The orders Glue job on a Spark standalone cluster: 1 worker against 2 (one core each).

    .venv/bin/python -m bench.cluster --rows 1000000

The same raw files (cached under ``bench/data/cluster/``), the manifest written by the real
trigger Lambda in-process, and ``glue_jobs/orders_job.py`` through the product's own
spark-submit command line (``pipeline.spark_submit.spark_submit_command``) with
``--master spark://…`` on a fresh loopback cluster (``tests/integration/spark_cluster.py``)
of 1, then 2 one-core workers. Prints each run's wall time (spark-submit to exit: driver
start, executors, the job), the job's own time (its ``done in`` line) and the 1-worker /
2-worker ratio; ``--local`` adds the same job in ``local[2]`` for reference. Figures only:
nothing is asserted, and on a shared 2-core machine they are indicative (the driver, its
Python and anything else running share the cores the workers use).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.data import BENCH_DIR, DATASET, ensure_data, reset_outputs, write_manifest
from pipeline.config import Settings
from pipeline.datasets import get_dataset
from pipeline.glue_args import glue_arguments
from pipeline.lake import Lake
from pipeline.spark_submit import spark_submit_command

REPO = BENCH_DIR.parent
sys.path[:0] = [str(REPO), str(REPO / "lambdas")]  # tests.integration.spark_cluster, Lambda
from tests.integration.spark_cluster import standalone_cluster  # noqa: E402

JOB_DONE = re.compile(r"done in ([0-9.]+)s")
TIMEOUT_SECONDS = 1800


def run_job(lake_root: Path, run_date: str, master: str, log: Path) -> dict:
    """One run of the job on ``master`` from a fresh manifest; its times and totals."""
    lake = Lake(str(lake_root))
    settings = Settings(spark_master=master)
    command, env = spark_submit_command(
        get_dataset(DATASET).job_path, glue_arguments(lake, DATASET, run_date), settings
    )
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    with open(log, "w") as output:
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=TIMEOUT_SECONDS)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        wall = time.monotonic() - started
    text = log.read_text(errors="replace")
    if code != 0:
        tail = "\n".join(text.splitlines()[-30:])
        raise SystemExit(f"job on {master} exited {code} (log {log}):\n{tail}")
    done = JOB_DONE.findall(text)
    counts = json.loads((lake_root / "_runs" / DATASET / run_date / "job_counts.json").read_text())
    return {
        "wall": wall,
        "job": float(done[-1]) if done else None,
        "totals": counts["totals"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rows-per-file", type=int, default=125_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per cluster size")
    parser.add_argument("--worker-memory", default="1g")
    parser.add_argument("--local", action="store_true", help="also run local[2]")
    args = parser.parse_args()

    data = ensure_data(args.rows, args.rows_per_file, root=BENCH_DIR / "data" / "cluster")
    print(
        f"{args.rows:,} rows in {len(data.keys)} files ({data.bytes / 1e6:.0f} MB) under "
        f"{data.lake_root}; {os.cpu_count()} cores; {args.repeat} run(s) each"
    )
    scratch = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    results: dict[str, list[dict]] = {}

    def measure(label: str, master: str) -> None:
        for index in range(args.repeat):
            reset_outputs(data)
            write_manifest(data)
            run = run_job(data.lake_root, data.run_date, master, scratch / f"{label}-{index}.log")
            results.setdefault(label, []).append(run)
            job = "?" if run["job"] is None else f"{run['job']:.1f}"
            print(f"  {label:>9} run {index + 1}: wall {run['wall']:6.1f} s, job {job} s")

    for workers in (1, 2):
        folder = scratch / f"cluster-{workers}w"
        started = time.monotonic()
        with standalone_cluster(folder, workers, args.worker_memory) as cluster:
            print(f"{workers} worker(s) up in {time.monotonic() - started:.1f} s")
            measure(f"{workers} worker" + ("s" if workers > 1 else ""), cluster.master_url)
    if args.local:
        measure("local[2]", "local[2]")

    totals = {label: [r["totals"] for r in runs] for label, runs in results.items()}
    reference = next(iter(totals.values()))[0]
    same = all(t == reference for runs in totals.values() for t in runs)
    print(f"\ntotals {'identical in every run' if same else 'DIFFER'}: {reference}")
    print(f"{'':>9}  {'wall s (median)':>15}  {'job s (median)':>14}")
    medians = {}
    for label, runs in results.items():
        wall = statistics.median(r["wall"] for r in runs)
        jobs = [r["job"] for r in runs if r["job"] is not None]
        job = statistics.median(jobs) if jobs else None
        medians[label] = (wall, job)
        print(f"{label:>9}  {wall:15.1f}  {'?' if job is None else f'{job:.1f}':>14}")
    one, two = medians["1 worker"], medians["2 workers"]
    ratio = f"wall {one[0] / two[0]:.2f}x"
    if one[1] and two[1]:
        ratio += f", job {one[1] / two[1]:.2f}x"
    print(f"1 worker / 2 workers: {ratio} (indicative: a shared 2-core machine)")
    print(f"logs: {scratch}")


if __name__ == "__main__":
    main()
