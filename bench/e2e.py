"""End-to-end timings through the real local DAG: a 10 MB landing and 1,000 small files.

    .venv/bin/python -m bench.e2e [--mb 10] [--small-files 1000]

Each scenario generates orders into a fresh lake, runs ``pipeline run orders`` (the real
Airflow DAG via ``dag.test``, every step doing its real work) as a measured subprocess,
and reads the run record: time from landing (the files are on disk when the command
starts) to the summaries in ``enriched/``, each step's seconds, and what is left for
Airflow and process start-up (wall time minus the steps).

The same landing is run twice: with a spark-submit per Glue job (the reference) and with
the command's warm Spark runner (``pipeline.spark_runner``). The small-files scenario
spreads the same rows over ``--small-files`` files on one date; it must be handled by one
Glue job run, and its time is printed as a ratio of the 10 MB run's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.data import BENCH_DIR
from bench.measure import run_measured
from bench.run import RESULTS_DIR, engine_env
from pipeline.config import SPARK_RUNNER_OFF
from pipeline.generate.orders import generate_orders
from pipeline.steps.timing import STEPS

REPO = BENCH_DIR.parent
BYTES_PER_ROW = 68  # the generator's average row on disk, one file in five gzipped (measured)


def scenario(
    name: str, lake: Path, run_date: str, rows: int, files: int, stamp: str, warm: bool = True
) -> dict:
    """Generate, run the DAG, and return the figures of one landing.

    ``warm=False`` runs every Glue job in its own spark-submit (``PIPELINE_SPARK_RUNNER=off``)
    instead of the command's warm Spark runner.
    """
    if lake.exists():
        shutil.rmtree(lake)
    lake.mkdir(parents=True)
    keys = generate_orders(str(lake), date.fromisoformat(run_date), rows=rows, files=files, seed=11)
    size = sum((lake / key).stat().st_size for key in keys)
    log = RESULTS_DIR / "logs" / f"{stamp}-e2e-{name}.log"
    command = [sys.executable, "-m", "pipeline.cli", "run", "orders"]
    command += ["--lake", str(lake), "--date", run_date]
    started = time.time()
    env = engine_env() | ({} if warm else {"PIPELINE_SPARK_RUNNER": SPARK_RUNNER_OFF})
    measured = run_measured(command, log, env=env, cwd=REPO)
    record_path = lake / "_runs" / "orders" / run_date / "run.json"
    if measured.returncode != 0 or not record_path.exists():
        raise SystemExit(f"{name}: pipeline run failed (exit {measured.returncode}); see {log}")
    record = json.loads(record_path.read_text())
    steps = {s: record["timings"][s] for s in STEPS if s in record["timings"]}
    summaries_end = datetime.fromisoformat(
        record["steps"]["athena_summaries"]["finished_at"]
    ).timestamp()
    # one glue_job step, each attempt one run of the job over the whole manifest
    job_runs = 1 + len(record["steps"]["glue_job"].get("earlier_attempts", []))
    return {
        "scenario": name,
        "status": record["status"],
        "rows": rows,
        "files": record["totals"]["files"],
        "bytes": size,
        "totals": record["totals"],
        "wall_seconds": round(measured.seconds, 2),
        "landing_to_summaries_seconds": round(summaries_end - started, 2),
        "steps": steps,
        "outside_steps_seconds": round(measured.seconds - sum(steps.values()), 2),
        "glue_job_runs": job_runs,
        "peak_rss_mb": round(measured.peak_rss_mb),
        "log": str(log),
    }


def print_scenario(result: dict) -> None:
    print(
        f"\n{result['scenario']}: {result['files']} file(s), {result['bytes'] / 1e6:.1f} MB, "
        f"{result['rows']:,} rows -> {result['status']}; Glue job runs: {result['glue_job_runs']}"
    )
    print(f"  landing -> summaries {result['landing_to_summaries_seconds']:.1f}s")
    print(f"  command wall {result['wall_seconds']:.1f}s, peak RSS {result['peak_rss_mb']} MiB")
    for step, seconds in result["steps"].items():
        print(f"    {step:<18} {seconds:7.2f}s")
    print(f"    {'(airflow, start-up)':<18} {result['outside_steps_seconds']:7.2f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="size of the main landing")
    parser.add_argument("--files", type=int, default=4, help="files of the main landing")
    parser.add_argument("--small-files", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the lakes under bench/data")
    args = parser.parse_args(argv)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    rows = int(args.mb * 1e6 / BYTES_PER_ROW)
    base = BENCH_DIR / "data" / f"e2e-{stamp}"
    results = [
        scenario("landing-cold", base / "cold", "2024-03-01", rows, args.files, stamp, False),
        scenario("landing", base / "landing", "2024-03-01", rows, args.files, stamp),
        scenario("small-files", base / "small", "2024-03-01", rows, args.small_files, stamp),
    ]
    for result in results:
        print_scenario(result)
    cold, landing, small = results
    print(
        f"\nwarm runner / spark-submit per job: landing->summaries x"
        f"{landing['landing_to_summaries_seconds'] / cold['landing_to_summaries_seconds']:.2f}"
    )
    print(
        f"\nsmall files / landing: landing->summaries x"
        f"{small['landing_to_summaries_seconds'] / landing['landing_to_summaries_seconds']:.2f}, "
        f"glue_job x{small['steps']['glue_job'] / landing['steps']['glue_job']:.2f}"
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{stamp}-e2e.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"results: {out}")
    if not args.keep:
        shutil.rmtree(base)
    one_run_each = all(r["glue_job_runs"] == 1 and r["status"] == "success" for r in results)
    return 0 if one_run_each and small["files"] == args.small_files else 1


if __name__ == "__main__":
    raise SystemExit(main())
