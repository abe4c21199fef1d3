"""User mistakes get a one-line error and exit code 2, never a stack trace."""

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
def test_usage_errors(args, message):
    result = pipeline(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


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
    return cli, seen, str(tmp_path / "lake")


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
