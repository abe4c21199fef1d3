"""The lock pins the modules AWS Glue 5.1 provides, that the jobs import, to Glue's versions.

A Glue job runs on the modules Glue puts on its workers, so the project's job tests must
run on the same versions: a pin that drifts (a `make lock` that takes a newer pandas, say)
would test the jobs on a library Glue does not have.
"""

import re
from importlib.metadata import version
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# AWS Glue 5.1 (Spark 3.5.6, Python 3.11), from the AWS Glue Developer Guide, "Using Python
# libraries with AWS Glue" > "Python modules already provided in AWS Glue"
# (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html).
# fsspec is not listed there by itself: it is what Glue's s3fs 2025.10.0 requires
# (fsspec==2025.10.0). pyspark is Glue 5.1's Spark.
GLUE_5_1 = {
    "pyspark": "3.5.6",
    "pyarrow": "22.0.0",
    "numpy": "2.3.4",
    "pandas": "2.3.3",
    "fsspec": "2025.10.0",
    "boto3": "1.40.61",
    "s3fs": "2025.10.0",
}

# Glue modules the lock does not hold to Glue's version, and why (see requirements.txt).
# No Glue job imports them; a job that starts to must first bring its pin in line.
NOT_GLUE_VERSION = {
    "boto3": "apache-airflow-providers-amazon 9.39.0 needs boto3/botocore>=1.42.93",
    "s3fs": "needs aiobotocore<3 (botocore<=1.41.5), against the amazon provider's botocore",
}
PINNED = sorted((name, v) for name, v in GLUE_5_1.items() if name not in NOT_GLUE_VERSION)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file (extras dropped), by normalised name."""
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)", line)
        if match:
            pins[_normalise(match.group(1))] = match.group(3)
    return pins


@pytest.mark.parametrize(("name", "glue_version"), PINNED)
def test_lock_pins_glue_version(name: str, glue_version: str) -> None:
    assert _pins(REPO / "requirements.lock").get(name) == glue_version


@pytest.mark.parametrize(("name", "glue_version"), PINNED)
def test_requirements_pin_glue_version(name: str, glue_version: str) -> None:
    # Pinned at the top level too, so that no other package's bump can move it silently.
    assert _pins(REPO / "requirements.txt").get(name) == glue_version


@pytest.mark.parametrize(("name", "glue_version"), PINNED)
def test_installed_version_is_glue_version(name: str, glue_version: str) -> None:
    assert version(name) == glue_version, "venv out of step with requirements.lock: make setup"


def test_s3fs_is_not_locked_at_another_version() -> None:
    # s3fs pins fsspec to its own version, so any s3fs but Glue's would move fsspec too.
    assert _pins(REPO / "requirements.lock").get("s3fs") in (None, GLUE_5_1["s3fs"])
