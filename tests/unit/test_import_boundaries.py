"""Code imports only what exists where it runs (Glue, Lambda, the Airflow scheduler)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def imported_modules(folder: Path) -> set[str]:
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_glue_jobs_import_neither_airflow_nor_the_orchestration_package():
    assert not imported_modules(REPO / "glue_jobs") & {"airflow", "pipeline", "trigger_lambda"}


def test_lambda_imports_neither_pyspark_nor_airflow():
    assert not imported_modules(REPO / "lambdas") & {
        "pyspark",
        "airflow",
        "pipeline",
        "glue_lib",
        "great_expectations",
    }


@pytest.mark.parametrize("dag_file", sorted(p.name for p in (REPO / "dags").glob("*_pipeline.py")))
def test_dag_files_load_no_spark_or_gx_at_parse_time(dag_file):
    code = (
        "import sys, runpy; runpy.run_path(sys.argv[1]);"
        "bad = [m for m in ('pyspark', 'great_expectations', 'duckdb') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "dags" / dag_file)],
        capture_output=True,
        text=True,
        env={"PIPELINE_SKIP_AIRFLOW_VARIABLES": "1", "PATH": ""},
    )
    assert result.returncode == 0, result.stdout + result.stderr
