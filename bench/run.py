"""Benchmark the orders Glue job against DuckDB and a pandas (Lambda-style) script.

    .venv/bin/python -m bench.run --sizes 1000000,5000000,20000000

For each size: the raw files (cached under ``bench/data/``), the manifest written by the
real trigger Lambda in-process, then each engine in its own process tree, measured by
:mod:`bench.measure` (wall time, CPU time, peak RSS and PSS of the whole tree, JVM
included, and the JVM's own peak RSS). ``--repeat N`` runs N rounds of every engine in
turn and keeps each engine's best:

- ``job``: ``glue_jobs/orders_job.py`` through spark-submit on local Spark exactly as the
  DAG's glue_job step runs it, then the crawler and the real revenue_by_month SQL
  (``bench/job_runner.py``);
- ``duckdb``: the contract's cleaning and the same aggregation as SQL over read_csv;
- ``pandas``: chunked read_csv, the same rules, one core.

Results go to ``bench/results/<timestamp>.json`` and ``.md`` (git-ignored) and the table is
printed. The engines' revenue_by_month and totals are compared (see the cross-check notes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.data import BENCH_DIR, ensure_data, reset_outputs, write_manifest
from bench.measure import run_measured

REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
ENGINES = ("job", "duckdb", "pandas")


def engine_env() -> dict[str, str]:
    """Child environment: the venv first on PATH, repo packages importable, no Airflow."""
    venv_bin = str(Path(sys.executable).parent)
    paths = [str(REPO), str(REPO / "glue_jobs"), str(REPO / "lambdas")]
    return {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "PYTHONPATH": ":".join([*paths, os.environ.get("PYTHONPATH", "")]).rstrip(":"),
        "PIPELINE_SKIP_AIRFLOW_VARIABLES": "1",
        "PYTHONUNBUFFERED": "1",
    }


def engine_command(engine: str, lake: Path, manifest: str, run_date: str) -> list[str]:
    python = sys.executable
    if engine == "job":
        return [python, "-m", "bench.job_runner", "--lake", str(lake), "--date", run_date]
    return [python, "-m", f"bench.{engine}_ref", "--manifest", manifest]


def bench_size(rows: int, args: argparse.Namespace, stamp: str) -> dict:
    data = ensure_data(rows, args.rows_per_file, args.seed)
    reset_outputs(data)
    manifest, lambda_seconds = write_manifest(data)
    entry = {
        "rows": rows,
        "files": len(data.keys),
        "bytes": data.bytes,
        "lake": str(data.lake_root),
        "lambda_manifest_seconds": round(lambda_seconds, 2),
        "engines": {},
    }
    runs: dict[str, list[dict]] = {engine: [] for engine in args.engines}
    for attempt in range(args.repeat):  # rounds of every engine, so drift hits all alike
        for engine in args.engines:
            log = RESULTS_DIR / "logs" / f"{stamp}-{rows}-{engine}-{attempt}.log"
            command = engine_command(engine, data.lake_root, manifest, data.run_date)
            measured = run_measured(command, log, env=engine_env(), cwd=REPO)
            if measured.returncode != 0:
                raise SystemExit(
                    f"{engine} failed at {rows} rows (exit {measured.returncode}); see {log}"
                )
            runs[engine].append(measured.as_dict())
            print(
                f"  {rows:>10,} {engine:<7} {measured.seconds:7.1f}s"
                f"  cpu {measured.cpu_seconds:7.1f}s  peak RSS {measured.peak_rss_mb:5.0f}"
                f" PSS {measured.peak_pss_mb:5.0f} MiB"
                f"  load {measured.load_before[0]:.1f}",
                flush=True,
            )
    for engine, attempts in runs.items():
        best = min(attempts, key=lambda r: r["seconds"])
        entry["engines"][engine] = {**best, "attempts": [r["seconds"] for r in attempts]}
    entry["cross_check"] = cross_check(entry["engines"])
    return entry


def cross_check(engines: dict) -> dict:
    """Differences of each reference from the job: totals and revenue_by_month."""
    job = engines.get("job", {}).get("result")
    if not job:
        return {}
    notes = {}
    for name, engine in engines.items():
        if name == "job":
            continue
        other = engine["result"]
        totals = {
            key: other["totals"][key] - job["totals"][key]
            for key in job["totals"]
            if other["totals"][key] != job["totals"][key]
        }
        months = {row["order_month"]: row for row in job["revenue_by_month"]}
        revenue = {}
        for row in other["revenue_by_month"]:
            mine = months.get(row["order_month"])
            if mine is None or mine != row:
                revenue[row["order_month"]] = {"job": mine, name: row}
        notes[name] = {
            "same_revenue_by_month": not revenue,
            "totals_minus_job": totals,
            "rows_read_equal": other["totals"]["rows_read"] == job["totals"]["rows_read"],
        }
    return notes


def markdown(report: dict) -> str:
    head = report["machine"]
    lines = [
        f"# orders benchmark, {report['started']}",
        "",
        f"Machine: {head['cpus']} CPUs, {head['memory_gib']} GiB, {head['platform']}; "
        f"load average at start {head['load_at_start']}, at end {report['load_at_end']}.",
        "",
        "| rows | files | MB | engine | wall s | rows/s | CPU s | peak RSS MiB "
        "| peak PSS MiB | JVM RSS MiB | load | job/engine |",
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in report["sizes"]:
        job = entry["engines"].get("job")
        for name, engine in entry["engines"].items():
            ratio = f"{job['seconds'] / engine['seconds']:.2f}" if job and name != "job" else ""
            lines.append(
                f"| {entry['rows']:,} | {entry['files']} | {entry['bytes'] / 1e6:.0f} | {name} "
                f"| {engine['seconds']:.1f} | {entry['rows'] / engine['seconds']:,.0f} "
                f"| {engine['cpu_seconds']:.1f} | {engine['peak_rss_mb']:.0f} "
                f"| {engine.get('peak_pss_mb', 0):.0f} | {engine['peak_jvm_rss_mb']:.0f} "
                f"| {engine['load_before'][0]:.1f} | {ratio} |"
            )
    paired = [line for entry in report["sizes"] for line in round_ratios(entry)]
    if paired:
        lines += ["", "Per round (job / engine, both timed in the same round):", "", *paired]
    lines += [
        "",
        "Job breakdown (seconds): spark-submit / crawl / summary SQL; peak PSS of the"
        " spark-submit tree (the summary SQL's DuckDB runs in the measured process itself).",
        "",
    ]
    for entry in report["sizes"]:
        job = entry["engines"].get("job")
        if job:
            t = job["result"]["timings"]
            lines.append(
                f"- {entry['rows']:,} rows: {t['spark_submit']} / {t['crawl']} / "
                f"{t['summary_sql']}; trigger Lambda (manifest) {entry['lambda_manifest_seconds']}"
                f"; spark-submit tree {job.get('peak_subprocess_pss_mb', 0):.0f} MiB"
            )
    lines += ["", "Cross-check against the job (reference minus job):", ""]
    for entry in report["sizes"]:
        for name, note in entry.get("cross_check", {}).items():
            lines.append(
                f"- {entry['rows']:,} {name}: rows_read equal {note['rows_read_equal']}, "
                f"same revenue_by_month {note['same_revenue_by_month']}, "
                f"totals {note['totals_minus_job'] or 'equal'}"
            )
    growth = scaling(report)
    if growth:
        lines += ["", "Scaling of the job: " + growth]
    return "\n".join(lines) + "\n"


def round_ratios(entry: dict) -> list[str]:
    """job/engine per round and their median: the best times of each engine can come from
    different rounds, and this VM's speed drifts between them."""
    job = entry["engines"].get("job")
    if not job or len(job["attempts"]) < 2:
        return []
    lines = []
    for name, engine in entry["engines"].items():
        if name == "job":
            continue
        ratios = [a / b for a, b in zip(job["attempts"], engine["attempts"], strict=True)]
        lines.append(
            f"- {entry['rows']:,} {name}: {' / '.join(f'{r:.2f}' for r in ratios)} "
            f"(median {statistics.median(ratios):.2f})"
        )
    return lines


def scaling(report: dict) -> str:
    """Job time and peak memory growth between the two largest sizes."""
    sizes = [e for e in report["sizes"] if "job" in e["engines"]]
    if len(sizes) < 2:
        return ""
    small, large = sizes[-2], sizes[-1]
    a, b = small["engines"]["job"], large["engines"]["job"]
    return (
        f"{small['rows']:,} -> {large['rows']:,} rows (x{large['rows'] / small['rows']:.1f}): "
        f"time x{b['seconds'] / a['seconds']:.2f}, CPU x{b['cpu_seconds'] / a['cpu_seconds']:.2f}, "
        f"peak RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.2f} "
        f"({a['peak_rss_mb']:.0f} -> {b['peak_rss_mb']:.0f} MiB), "
        f"peak PSS {a.get('peak_pss_mb', 0):.0f} -> {b.get('peak_pss_mb', 0):.0f} MiB, "
        f"JVM RSS {a['peak_jvm_rss_mb']:.0f} -> {b['peak_jvm_rss_mb']:.0f} MiB, "
        f"spark-submit tree PSS {a.get('peak_subprocess_pss_mb', 0):.0f} -> "
        f"{b.get('peak_subprocess_pss_mb', 0):.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000,20000000")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--rows-per-file", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine; best kept")
    parser.add_argument("--label", default="", help="added to the result file names")
    args = parser.parse_args()
    args.engines = [e for e in args.engines.split(",") if e]
    unknown = set(args.engines) - set(ENGINES)
    if unknown:
        raise SystemExit(f"unknown engine(s): {', '.join(sorted(unknown))}")
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + (f"-{args.label}" if args.label else "")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    import psutil

    report = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "platform": platform.platform(),
            "load_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "args": {k: v for k, v in vars(args).items()},
        "sizes": [],
    }
    started = time.monotonic()
    for rows in sizes:
        print(f"{rows:,} rows", flush=True)
        report["sizes"].append(bench_size(rows, args, stamp))
        report["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
        _write(report, stamp)
    report["seconds"] = round(time.monotonic() - started, 1)
    text = _write(report, stamp)
    print()
    print(text)


def _write(report: dict, stamp: str) -> str:
    report.setdefault("load_at_end", [round(x, 2) for x in os.getloadavg()])
    (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(report, indent=2))
    text = markdown(report)
    (RESULTS_DIR / f"{stamp}.md").write_text(text)
    return text


if __name__ == "__main__":
    main()
