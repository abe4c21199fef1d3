"""Where the orders job's time goes, stage by stage, and what Spark's settings change.

    SPARK_CONF_DIR=glue_jobs/local-spark-conf .venv/bin/python -m bench.stages --rows 5000000

Runs the real job flow (:func:`glue_lib.csv_job.run_csv_job`) several times in one Spark
session on the cached benchmark lake (``bench/data/``), one variant of the session's SQL
settings per run, after a warm-up run (JIT, Python workers). Each run's stage times come
from the job's own progress lines (parse + clean + count; processed table; quarantine;
aggregate; counts), so what is timed is exactly what the job does. Variants: the shuffle
partitions (the dedupe's and the writes' task count), adaptive query execution on and off.
Also prints what the run caches (the staged rows, ``DISK_ONLY``) and what the quarantine
costs (its stage time). Figures only, nothing asserted: take them on an idle machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time

from bench.data import BENCH_DIR, ensure_data, reset_outputs, write_manifest

sys.path[:0] = [str(BENCH_DIR.parent / "glue_jobs"), str(BENCH_DIR.parent / "lambdas")]

PROGRESS = re.compile(r"^(?P<stage>.+) at (?P<seconds>[0-9.]+)s$")
VARIANTS = {
    "baseline (conf dir: 8 partitions and AQE)": {},
    "4 shuffle partitions": {"spark.sql.shuffle.partitions": "4"},
    "16 shuffle partitions": {"spark.sql.shuffle.partitions": "16"},
    "AQE off": {"spark.sql.adaptive.enabled": "false"},
}


class ProgressLines(logging.Handler):
    """Collects the job's ``<stage> at <seconds>s`` lines and its closing line."""

    def __init__(self) -> None:
        super().__init__()
        self.stages: list[tuple[str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = PROGRESS.match(record.getMessage())
        if match:
            self.stages.append((match["stage"], float(match["seconds"])))


def run_variant(spark, data, manifest: str, settings: dict[str, str]) -> dict[str, float]:
    """One job run with ``settings``; seconds per stage (differences of progress lines)."""
    from glue_lib.csv_job import run_csv_job
    from glue_lib.session import job_logger
    from orders_job import ORDERS

    defaults = {key: spark.conf.get(key) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    reset_outputs(data)
    write_manifest(data)
    lines = ProgressLines()
    logger = job_logger("orders_job")  # the job's own handler first, then ours
    logger.addHandler(lines)
    started = time.monotonic()
    try:
        run_csv_job(ORDERS, "orders_job", _job_argv(data, manifest))
    finally:
        logger.removeHandler(lines)
        for key, value in defaults.items():
            spark.conf.set(key, value)
    stages, previous = {}, 0.0
    for stage, at in lines.stages:
        stages[stage] = round(at - previous, 2)
        previous = at
    total = time.monotonic() - started  # from the call, so it includes the job's set-up
    stages["counts and exit"] = round(max(total - previous, 0.0), 2)
    stages["total"] = round(total, 2)
    return stages


def _job_argv(data, manifest: str) -> list[str]:
    return [
        "--dataset",
        "orders",
        "--lake_root",
        str(data.lake_root),
        "--run_date",
        data.run_date,
        "--manifest",
        manifest,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    args = parser.parse_args()

    from glue_lib.session import build_spark

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the venv's, as spark-submit
    data = ensure_data(args.rows)
    reset_outputs(data)
    manifest, _ = write_manifest(data)
    # As the pipeline's local spark-submit: local[*], a 2 GB driver (pipeline/config.py).
    spark = build_spark(
        "bench_stages", {"spark.driver.memory": "2g", "spark.ui.showConsoleProgress": "false"}
    )
    print(f"{args.rows:,} rows, {len(data.keys)} files, {data.bytes / 1e6:.0f} MB")
    print("warm-up:", run_variant(spark, data, manifest, {}))
    for name in args.variants.split(","):
        stages = run_variant(spark, data, manifest, VARIANTS[name])
        print(f"{name}: " + ", ".join(f"{stage} {s} s" for stage, s in stages.items()))
    spark.stop()


if __name__ == "__main__":
    main()
