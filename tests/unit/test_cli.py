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
