"""The warm Spark runner (``glue_jobs/local_runner.py`` via ``pipeline.spark_runner``).

One real runner (spark-submit) runs several scripts in turn: output is relayed, exit codes
come back as spark-submit's would, a failing or crashing script leaves the runner serving
the next one, and each script sees a working SparkSession and its own ``sys.argv``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.spark_runner import RUNNER_ENV, run_on_runner, warm_spark_runner
from pipeline.spark_submit import GlueJobFailed, run_glue_script

pytestmark = pytest.mark.integration

SPARK_SCRIPT = """
import sys
from glue_lib.session import build_spark
spark = build_spark("probe")
print("args", sys.argv[1:])
print("rows", spark.range(int(sys.argv[2])).count())
"""


@pytest.fixture(scope="module")
def runner():
    settings = Settings(spark_master="local[2]", spark_shuffle_partitions="2")
    with warm_spark_runner(settings) as path:
        yield path
    assert RUNNER_ENV not in os.environ or os.environ[RUNNER_ENV] != path


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def _run(path: str, script: Path, *argv: str) -> tuple[int | None, list[str]]:
    lines: list[str] = []
    return run_on_runner(path, script, list(argv), lines.append), lines


def test_a_script_runs_with_spark_and_its_arguments(runner, tmp_path):
    code, lines = _run(runner, _script(tmp_path, "ok.py", SPARK_SCRIPT), "--n", "7")
    assert code == 0
    assert "args ['--n', '7']" in lines and "rows 7" in lines


def test_exit_codes_are_those_spark_submit_would_give(runner, tmp_path):
    assert _run(runner, _script(tmp_path, "three.py", "import sys; sys.exit(3)"))[0] == 3
    code, lines = _run(runner, _script(tmp_path, "msg.py", "raise SystemExit('bad input')"))
    assert code == 1 and "bad input" in lines
    code, lines = _run(runner, _script(tmp_path, "boom.py", "raise RuntimeError('boom')"))
    assert code == 1 and any("RuntimeError: boom" in line for line in lines)
    # the runner survived all three and still runs Spark
    code, lines = _run(runner, _script(tmp_path, "again.py", SPARK_SCRIPT), "--n", "3")
    assert code == 0 and "rows 3" in lines


def test_run_glue_script_uses_the_runner_and_raises_on_failure(runner, tmp_path):
    settings = Settings(spark_runner=runner)
    run_glue_script(_script(tmp_path, "fine.py", "print('fine')"), {}, settings)
    with pytest.raises(GlueJobFailed, match="exited with code 4"):
        run_glue_script(_script(tmp_path, "four.py", "import sys; sys.exit(4)"), {}, settings)


def test_an_unreachable_runner_means_nothing_ran(tmp_path):
    assert _run(str(tmp_path / "absent.sock"), tmp_path / "any.py") == (None, [])
