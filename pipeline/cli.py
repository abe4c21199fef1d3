"""The ``pipeline`` command: generate sample raw files, run or backfill a dataset's DAG.

``pipeline run`` runs the real Airflow DAG (``dag.test``: every task in this process,
against a SQLite metadata DB under ``.airflow/``) on the local target, then prints the
run record's counts and the first rows of each summary.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from contextlib import ExitStack, nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from .arg_types import existing_lake, lake_to_create
from .config import REPO_ROOT
from .dashboard.command import add_dashboard_command
from .datasets import DATASETS, UnknownDataset, get_dataset
from .lake import Lake
from .orchestration import local_airflow

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SPARK_MASTER_PREFIXES = ("local", "spark://", "yarn", "k8s://")
DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FINISHED = ("success", "failed", "skipped")  # what a finished run's record says


def _date(text: str) -> date:
    """A calendar date written YYYY-MM-DD (``date.fromisoformat`` alone also takes
    ``20240301`` and ``2024-W09-5``)."""
    try:
        if DATE_SHAPE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return value


def _spark_master(text: str) -> str:
    value = text.strip()
    if not value.startswith(SPARK_MASTER_PREFIXES) or value in ("spark://", "k8s://"):
        raise argparse.ArgumentTypeError(
            f"must start with local, spark://, yarn or k8s:// (e.g. local[2], "
            f"spark://host:7077): {text!r}"
        )
    return value


def _add_spark_master(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--spark-master",
        type=_spark_master,
        metavar="URL",
        help="Spark master of the command's Glue jobs: local[N], spark://HOST:PORT (a "
        "standalone cluster), yarn or k8s://URL (default: PIPELINE_SPARK_MASTER, else "
        "local[*]); the command's warm Spark driver connects to it",
    )


EXISTING_LAKE_HELP = "lake root folder, an existing one (default: ./lake)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pipeline", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    default_lake = str(REPO_ROOT / "lake")

    gen = commands.add_parser("generate", help="write realistic raw files (dirty rows included)")
    gen.add_argument("dataset", choices=sorted(DATASETS))
    gen.add_argument(
        "--lake",
        default=default_lake,
        type=lake_to_create,
        help="lake root folder, created if missing (default: ./lake)",
    )
    gen.add_argument("--date", required=True, type=_date, help="landing date YYYY-MM-DD")
    gen.add_argument("--rows", type=_positive, default=1000)
    gen.add_argument("--files", type=_positive, default=3)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--bad-files", type=_positive, default=0, help="whole files to spoil")

    run = commands.add_parser("run", help="run the DAG for one logical date (local target)")
    run.add_argument("dataset", choices=sorted(DATASETS))
    run.add_argument("--lake", default=default_lake, type=existing_lake, help=EXISTING_LAKE_HELP)
    run.add_argument("--date", required=True, type=_date, help="logical date YYYY-MM-DD")
    _add_spark_master(run)

    back = commands.add_parser("backfill", help="run the DAG for every date of a range")
    back.add_argument("dataset", choices=sorted(DATASETS))
    back.add_argument("--lake", default=default_lake, type=existing_lake, help=EXISTING_LAKE_HELP)
    back.add_argument("--from", dest="start", required=True, type=_date)
    back.add_argument("--to", dest="end", required=True, type=_date)
    _add_spark_master(back)
    add_dashboard_command(commands)  # pipeline dashboard --lake DIR [--port 8050]
    return parser


def prepare_local_airflow(lake_root: str) -> None:
    """Environment for an in-process local-target run (set before Airflow is imported)."""
    os.environ["PIPELINE_TARGET"] = "local"
    os.environ["PIPELINE_LAKE_ROOT"] = lake_root
    os.environ.setdefault("PIPELINE_TASK_RETRIES", "0")
    # the same Airflow home, DAGs folder and DAG creation (unpaused) as `make airflow`
    local_airflow.apply()
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)


def _ensure_metadata_db() -> None:
    from airflow.utils.db import check_migrations, initdb

    try:
        check_migrations(timeout=0)
    except TimeoutError:
        initdb()


def run_dag(dataset: str, lake_root: str, run_date: date) -> dict:
    """Run the dataset's DAG for ``run_date`` in-process; return the run record."""
    prepare_local_airflow(lake_root)
    _ensure_metadata_db()
    import importlib.util

    spec = get_dataset(dataset)
    path = REPO_ROOT / "dags" / f"{spec.dag_id}.py"
    module_spec = importlib.util.spec_from_file_location(spec.dag_id, path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    module.dag.test(logical_date=datetime(run_date.year, run_date.month, run_date.day, tzinfo=UTC))
    lake = Lake(lake_root)
    record_uri = lake.run_file(dataset, str(run_date), "run.json")
    if not lake.fs.exists(record_uri):
        return {
            "dataset": dataset,
            "logical_date": str(run_date),
            "status": "failed",
            "error": "the run wrote no run record (see the task log above)",
        }
    with lake.fs.open(record_uri) as stream:
        record = json.load(stream)
    if record.get("status") not in FINISHED:  # the record step never ran: not a success
        record.update(
            status="failed",
            error=f"the run ended with its record still {record.get('status')!r} "
            "(see the task log above)",
        )
    return record


def print_run_summary(record: dict, lake: Lake) -> None:
    from .report import render_run

    print(render_run(record, lake))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "dashboard":
        return args.handler(args)
    try:
        get_dataset(args.dataset)
        if args.command == "generate":
            return _generate(args)
        if args.command == "run":
            return _run_locked(args.dataset, args.lake, [args.date], args.spark_master)
        if args.end < args.start:
            print(f"error: --to {args.end} is before --from {args.start}", file=sys.stderr)
            return EXIT_USAGE
        days = [args.start + timedelta(days=i) for i in range((args.end - args.start).days + 1)]
        return _run_locked(args.dataset, args.lake, days, args.spark_master)
    except UnknownDataset as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _generate(args: argparse.Namespace) -> int:
    from .generate.invoices import generate_invoices
    from .generate.orders import generate_orders
    from .generate.salaries import generate_salaries

    generators = {
        "orders": generate_orders,
        "salaries": generate_salaries,
        "invoices": generate_invoices,  # --rows = invoices, one file each
    }
    keys = generators[args.dataset](
        str(Lake(args.lake).root),
        args.date,
        rows=args.rows,
        files=args.files,
        seed=args.seed,
        bad_files=args.bad_files,
    )
    print(
        f"wrote {len(keys)} raw {args.dataset} file(s) for landing date {args.date} "
        f"under {Lake(args.lake).root}:"
    )
    for key in keys:
        print(f"  {key}")
    return EXIT_OK


def _run_locked(dataset: str, lake_root: str, days: list[date], spark_master: str | None) -> int:
    """:func:`_run` holding the lock of each date (``pipeline.run_lock``), taken before
    anything heavy starts: a second command for a date being run stops with one line."""
    from .run_lock import RunLocked, run_lock

    lake = Lake(lake_root)
    try:
        with ExitStack() as locks:
            for day in days:
                locks.enter_context(run_lock(lake, dataset, str(day)))
            return _run(dataset, lake_root, days, spark_master)
    except RunLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _run(dataset: str, lake_root: str, days: list[date], spark_master: str | None = None) -> int:
    from .config import SPARK_RUNNER_OFF, Settings
    from .local_postgres import PostgresUnavailable, postgres_for
    from .spark_runner import warm_spark_runner

    lake = Lake(lake_root)
    outcomes = []
    prepare_local_airflow(lake.root)
    if spark_master:  # --spark-master: the setting, for every step of this command
        os.environ["PIPELINE_SPARK_MASTER"] = spark_master
    settings = Settings.load()
    # a runner named in the settings is used as it is (the test suite shares one), unless
    # --spark-master asks for a master: that runner was started with its own
    start = not settings.spark_runner or (
        spark_master is not None and settings.spark_runner != SPARK_RUNNER_OFF
    )
    runner = warm_spark_runner(settings) if start else nullcontext()
    try:
        # a local PostgreSQL for a dataset with a postgres sink and no configured URL
        with postgres_for([dataset]), runner:
            for day in days:
                record = run_dag(dataset, lake.root, day)
                print_run_summary(record, lake)
                outcomes.append((day, record["status"]))
    except PostgresUnavailable as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    if len(days) > 1:
        print("\nbackfill:", ", ".join(f"{day} {status}" for day, status in outcomes))
    return EXIT_FAILED if any(status == "failed" for _, status in outcomes) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
