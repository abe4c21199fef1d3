"""Glue arguments: each one the DAG passes, the job accepts; each one the job requires, is passed.

Checked for both jobs and both targets: what ``pipeline.glue_args`` builds (the local target's
spark-submit arguments; the aws target's ``script_args`` are the same functions), what the
trigger Lambda hands back, and what the aws DAG actually sent to Glue (``StartJobRun``
recorded by moto). The scripts' argument lists are their module constants (``REQUIRED_ARGS``
in the clean jobs, ``REQUIRED`` in ``validate_job.py``), the ones they hand to
``glue_lib.args.parse_job_args``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from glue_lib.args import accepted_keys
from moto_support import NAMES, REPO, RUN_DATE
from trigger_lambda.events import build_event
from trigger_lambda.handler import handler

from pipeline.datasets import DATASETS, get_dataset
from pipeline.glue_args import glue_arguments, suite_uri, validation_arguments
from pipeline.lake import Lake

pytestmark = pytest.mark.aws

VALIDATE_SCRIPT = REPO / "glue_jobs" / "validate_job.py"
# Added to Arguments by the provider's GlueJobOperator (durable + deferrable runs), not by us;
# the scripts ignore keys they do not read, as awsglue's getResolvedOptions does.
PROVIDER_ARGUMENTS = {"--airflow_task_uuid"}
REQUIRED_NAMES = ("REQUIRED_ARGS", "REQUIRED")  # orders_job.py, validate_job.py
OPTIONAL_NAMES = ("OPTIONAL_ARGS", "OPTIONAL")


def script_arguments(script: Path) -> tuple[set[str], set[str]]:
    """(required, optional) argument names of a job script, from its module constants.

    The scripts are imported (glue_jobs/ is on sys.path; importing runs no Spark), so a
    script that takes its list from glue_lib (``from glue_lib.csv_job import REQUIRED_ARGS``)
    is read as Glue would run it.
    """
    name = f"_glue_args_contract_{script.stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, script)
        sys.modules[name] = importlib.util.module_from_spec(spec)  # dataclasses look it up
        spec.loader.exec_module(sys.modules[name])
    module = sys.modules[name]
    required = next(getattr(module, n) for n in REQUIRED_NAMES if hasattr(module, n))
    optional = next((getattr(module, n) for n in OPTIONAL_NAMES if hasattr(module, n)), {})
    return set(required), set(optional)


def check(arguments: dict[str, str], script: Path) -> None:
    required, optional = script_arguments(script)
    keys = {key.removeprefix("--") for key in arguments if key not in PROVIDER_ARGUMENTS}
    assert all(key.startswith("--") for key in arguments), arguments
    assert all(isinstance(v, str) and v for v in arguments.values()), arguments
    assert keys <= accepted_keys(required, {k: "" for k in optional}), (
        f"{script.name} does not accept {sorted(keys - required - optional)}"
    )
    assert required <= keys, f"{script.name} requires {sorted(required - keys)}"


@pytest.mark.parametrize(
    "script", [*(s.job_path for s in DATASETS.values()), VALIDATE_SCRIPT], ids=lambda p: p.stem
)
def test_scripts_declare_their_arguments(script):
    required, _ = script_arguments(script)
    assert {"dataset", "lake_root", "run_date"} <= required


@pytest.mark.parametrize("root", ["/tmp/lake", "s3://lake-bucket"], ids=["local", "aws"])
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_clean_job_arguments_match_the_script(dataset, root):
    spec = get_dataset(dataset)
    check(glue_arguments(Lake(root), dataset, "2024-03-01"), spec.job_path)


@pytest.mark.parametrize(
    ("root", "scripts_uri"),
    [("/tmp/lake", ""), ("s3://lake-bucket", "s3://artifacts/glue")],
    ids=["local", "aws"],
)
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_validation_job_arguments_match_the_script(dataset, root, scripts_uri):
    spec = get_dataset(dataset)
    for table in spec.tables:
        uri = suite_uri(spec, table, scripts_uri)
        arguments = validation_arguments(spec, table, Lake(root), "2024-03-01", 12, uri)
        check(arguments, VALIDATE_SCRIPT)
        assert arguments["--suite_uri"].endswith(f"expectations/{table}.json")


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_the_trigger_lambdas_glue_arguments_match_the_script(dataset, tmp_path):
    response = handler(build_event(str(tmp_path), dataset, "2024-03-01", []), None)
    assert response["ok"], response
    check(response["glue_arguments"], get_dataset(dataset).job_path)
    assert response["glue_arguments"] == glue_arguments(Lake(str(tmp_path)), dataset, "2024-03-01")


def test_what_the_aws_dag_sent_to_glue_matches_the_scripts(dag_run):
    prefix = NAMES["PIPELINE_GLUE_JOB_PREFIX"]
    scripts = {f"{prefix}-{name}": spec.job_path for name, spec in DATASETS.items()}
    scripts[f"{prefix}-validate"] = VALIDATE_SCRIPT
    starts = [call.json() for call in dag_run.targeted("AWSGlue.StartJobRun")]
    assert {start["JobName"] for start in starts} == {f"{prefix}-orders", f"{prefix}-validate"}
    for start in starts:
        check(start["Arguments"], scripts[start["JobName"]])
        assert start["Arguments"]["--run_date"] == RUN_DATE
    assert json.dumps(starts)  # plain JSON, as Glue stores them
