"""User mistakes get a one-line error and exit code 2, never a stack trace."""

import os
import subprocess
import sys

import pytest


def pipeline(*args):
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "orders", "--date", "2024-13-01"], "not a date"),
        (["run", "nosuch", "--date", "2024-03-01"], "invalid choice"),
        (["generate", "orders", "--date", "2024-03-01", "--rows", "-5"], "must be >= 0"),
        (["backfill", "orders", "--from", "2024-03-05", "--to", "2024-03-01"], "is before"),
        (["run", "orders"], "required"),
    ],
)
def test_usage_errors(args, message, tmp_path):
    result = pipeline(*args, "--lake", str(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


HEAVY = ("airflow", "pyspark", "duckdb")


def pipeline_light(*args):
    """``pipeline ARGS`` in a subprocess that reports, on its last stdout line, which heavy
    packages were imported by the time it exited (Airflow, Spark, the dashboard's DuckDB)."""
    code = (
        "import sys, pipeline.cli as cli\n"
        "try:\n"
        "    code = cli.main(sys.argv[1:])\n"
        "except SystemExit as stop:\n"
        "    code = stop.code\n"
        f"print('heavy:', [m for m in {HEAVY!r} if m in sys.modules])\n"
        "sys.exit(code)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


def assert_one_line_error(result, message):
    """Exit 2, argparse's single ``error:`` line (after its usage), nothing heavy started."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    assert message in errors[0], errors[0]
    assert result.stderr.splitlines()[-1] == errors[0]  # the last line: no output after it
    assert result.stdout.splitlines()[-1] == "heavy: []"


@pytest.mark.parametrize(
    "value", ["20240301", "2024-02-30", "2023-02-29", "2024-3-1", "2024-W09-5", " 2024-03-01", ""]
)
@pytest.mark.parametrize("option", ["run", "generate", "--from", "--to"])
def test_a_date_that_is_not_a_calendar_yyyy_mm_dd_is_a_one_line_error(value, option, tmp_path):
    lake = ["--lake", str(tmp_path)]
    if option in ("run", "generate"):
        args = [option, "orders", *lake, "--date", value]
    else:
        dates = {"--from": "2024-03-01", "--to": "2024-03-02", option: value}
        args = ["backfill", "orders", *lake, *(x for kv in dates.items() for x in kv)]
    result = pipeline_light(*args)
    assert_one_line_error(result, f"not a date (YYYY-MM-DD): {value!r}")


def test_leap_days_and_year_ends_are_dates():
    from datetime import date

    from pipeline.cli import _date

    assert _date("2024-02-29") == date(2024, 2, 29)
    assert _date("1999-12-31") == date(1999, 12, 31)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("99999", "--port: must be 1-65535 (0: any free port): '99999'"),
        ("65536", "--port: must be 1-65535"),
        ("-1", "--port: must be 1-65535"),
        ("abc", "--port: not a port number: 'abc'"),
        ("80.5", "--port: not a port number"),
    ],
)
def test_a_port_out_of_range_is_a_one_line_error(value, message, tmp_path):
    result = pipeline_light("dashboard", "--lake", str(tmp_path), "--port", value)
    assert_one_line_error(result, message)


@pytest.mark.parametrize("value", ["0", "1", "8050", "65535"])
def test_ports_0_to_65535_are_accepted(value):
    from pipeline.cli import build_parser

    args = build_parser().parse_args(["dashboard", "--port", value])
    assert args.port == int(value)  # 0: the server binds any free port


def read_only_folder(tmp_path):
    """An existing folder nobody can write: chmod 555, or /proc when root ignores modes."""
    if os.geteuid() == 0:
        return "/proc"
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return str(folder)


@pytest.fixture
def lake_file(tmp_path):
    path = tmp_path / "lake.txt"
    path.write_text("not a lake")
    return str(path)


RUN = ("run", "orders", "--date", "2024-03-01")
BACKFILL = ("backfill", "orders", "--from", "2024-03-01", "--to", "2024-03-02")
GENERATE = ("generate", "orders", "--date", "2024-03-01", "--rows", "5", "--files", "1")


@pytest.mark.parametrize("command", [RUN, BACKFILL, GENERATE, ("dashboard",)])
def test_a_lake_that_is_a_file_is_a_one_line_error(command, lake_file):
    result = pipeline_light(*command, "--lake", lake_file)
    assert_one_line_error(result, f"argument --lake: {lake_file} is a file, not a folder")


@pytest.mark.parametrize("command", [RUN, BACKFILL])
def test_a_missing_lake_is_an_error_for_run_and_backfill_not_a_skipped_run(command, tmp_path):
    missing = tmp_path / "typo"
    result = pipeline_light(*command, "--lake", str(missing))
    assert_one_line_error(result, f"argument --lake: no lake folder at {missing}")
    assert not missing.exists()


@pytest.mark.parametrize("command", [RUN, BACKFILL, GENERATE])
def test_a_read_only_lake_is_a_one_line_error(command, tmp_path):
    folder = read_only_folder(tmp_path)
    result = pipeline_light(*command, "--lake", folder)
    assert_one_line_error(result, f"argument --lake: cannot write to the lake folder {folder}")


def test_generate_refuses_a_lake_under_a_file_or_a_read_only_folder(tmp_path, lake_file):
    result = pipeline_light(*GENERATE, "--lake", f"{lake_file}/lake")
    assert_one_line_error(result, f"argument --lake: {lake_file} is a file, not a folder")
    folder = read_only_folder(tmp_path)
    result = pipeline_light(*GENERATE, "--lake", f"{folder}/new/lake")
    assert_one_line_error(
        result, f"argument --lake: cannot create {folder}/new/lake: {folder} is not writable"
    )


def test_generate_creates_a_missing_lake(tmp_path):
    lake = tmp_path / "new" / "lake"
    result = pipeline(*GENERATE, "--lake", str(lake))
    assert result.returncode == 0, result.stdout + result.stderr
    assert lake.is_dir() and list((lake / "raw" / "orders").rglob("*.csv*"))


def test_s3_lakes_are_not_checked_locally():
    from pipeline.cli import build_parser

    for command in (RUN, GENERATE):
        assert build_parser().parse_args([*command, "--lake", "s3://bucket"]).lake == "s3://bucket"


def test_bad_arguments_stop_before_airflow_spark_or_the_server(monkeypatch, tmp_path, lake_file):
    """In-process: the heavy entry points fail the test if reached."""
    import pipeline.cli as cli
    import pipeline.dashboard.command as dashboard

    def reached(*args, **kwargs):
        pytest.fail("a heavy entry point was reached")

    for name in ("_run", "run_dag", "prepare_local_airflow", "_generate"):
        monkeypatch.setattr(cli, name, reached)
    monkeypatch.setattr(dashboard, "run_dashboard", reached)
    for argv in (
        [*RUN[:-1], "20240301", "--lake", str(tmp_path)],
        [*RUN, "--lake", str(tmp_path / "missing")],
        [*BACKFILL, "--lake", lake_file],
        [*GENERATE, "--lake", read_only_folder(tmp_path)],
        ["dashboard", "--port", "99999"],
    ):
        with pytest.raises(SystemExit) as stop:
            cli.main(argv)
        assert stop.value.code == 2, argv


def test_glue_job_args_missing_is_a_one_line_error(tmp_path):
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "glue_jobs" / "glue_lib" / "args.py"
    code = (
        f"import sys; sys.path.insert(0, '{script.parent.parent}');"
        "from glue_lib.args import parse_job_args;"
        "parse_job_args(['lake_root', 'run_date'], ['--run_date', 'x', '--JOB_NAME', 'j'])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "missing required job argument(s): --lake_root" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["foo", "spark:/x:7077", "spark://", "mesos://h:5050", ""])
def test_a_malformed_spark_master_is_a_one_line_error(value):
    result = pipeline("run", "orders", "--date", "2024-03-01", "--spark-master", value)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1
    assert "--spark-master: must start with local, spark://, yarn or k8s://" in errors[0]
    assert "Traceback" not in result.stderr


def test_spark_master_is_documented_for_run_and_backfill():
    for command in ("run", "backfill"):
        result = pipeline(command, "--help")
        assert result.returncode == 0
        assert "--spark-master URL" in result.stdout and "spark://HOST:PORT" in result.stdout


@pytest.fixture
def fake_command(monkeypatch, tmp_path):
    """``pipeline run``/``backfill`` in-process with the DAG run and the warm runner faked:
    what master each run date's steps would load, and which runners were started."""
    from contextlib import contextmanager

    import pipeline.cli as cli
    import pipeline.spark_runner as spark_runner
    from pipeline.config import Settings

    for name in ("PIPELINE_TARGET", "PIPELINE_LAKE_ROOT", "PIPELINE_TASK_RETRIES"):
        monkeypatch.setenv(name, "")  # restored (unset) after the test, whatever _run sets
    for name in ("PIPELINE_SPARK_MASTER", "PIPELINE_SPARK_RUNNER"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    seen = {"masters": [], "runners": []}

    @contextmanager
    def fake_runner(settings):
        seen["runners"].append(settings.spark_master)
        yield "fake.sock"

    def fake_run_dag(dataset, lake_root, day):
        seen["masters"].append(Settings.load().spark_master)  # what the glue_job step loads
        return {"dataset": dataset, "logical_date": str(day), "status": "success"}

    monkeypatch.setattr(spark_runner, "warm_spark_runner", fake_runner)
    monkeypatch.setattr(cli, "run_dag", fake_run_dag)
    monkeypatch.setattr(cli, "print_run_summary", lambda record, lake: None)
    lake = tmp_path / "lake"
    lake.mkdir()  # run and backfill need an existing lake
    return cli, seen, str(lake)


def test_spark_master_reaches_the_runner_and_every_step(fake_command):
    cli, seen, lake = fake_command
    master = "spark://127.0.0.1:7077"
    args = ["--lake", lake, "--spark-master", master]
    assert (
        cli.main(["backfill", "orders", "--from", "2024-03-01", "--to", "2024-03-02", *args]) == 0
    )
    assert seen == {"masters": [master, master], "runners": [master]}


def test_spark_master_starts_its_own_runner_rather_than_a_named_one(fake_command, monkeypatch):
    cli, seen, lake = fake_command
    monkeypatch.setenv("PIPELINE_SPARK_RUNNER", "/tmp/shared-runner.sock")  # e.g. the suite's
    assert cli.main(["run", "orders", "--lake", lake, "--date", "2024-03-01"]) == 0
    assert seen["runners"] == []  # no --spark-master: the named runner is used as it is
    args = ["--lake", lake, "--date", "2024-03-01", "--spark-master", "local[1]"]
    assert cli.main(["run", "orders", *args]) == 0
    assert seen == {"masters": ["local[*]", "local[1]"], "runners": ["local[1]"]}


def test_without_spark_master_the_configured_master_is_kept(fake_command, monkeypatch):
    cli, seen, lake = fake_command
    monkeypatch.setenv("PIPELINE_SPARK_MASTER", "local[3]")
    assert cli.main(["run", "orders", "--lake", lake, "--date", "2024-03-01"]) == 0
    assert seen == {"masters": ["local[3]"], "runners": ["local[3]"]}
