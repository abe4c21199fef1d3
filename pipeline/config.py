"""The one place configuration comes from.

Each setting is looked up, in order, in the environment (``PIPELINE_<NAME>``), then in
an Airflow Variable (``pipeline_<name>``, only when Airflow is importable and has one),
then falls back to a local default. Nothing else in the code base names a bucket, path
or account.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGETS = ("local", "aws")


class ConfigError(ValueError):
    """A setting has a value the pipeline cannot use."""


def _airflow_variable(name: str) -> str | None:
    """Read ``pipeline_<name>`` from Airflow Variables when running inside Airflow."""
    if os.environ.get("PIPELINE_SKIP_AIRFLOW_VARIABLES") == "1":
        return None
    try:
        from airflow.sdk import Variable
    except Exception:
        return None
    try:
        return Variable.get(f"pipeline_{name}", default=None)
    except Exception:
        return None


def setting(name: str, default: str) -> str:
    """One setting: environment, then Airflow Variable, then ``default``."""
    value = os.environ.get(f"PIPELINE_{name.upper()}")
    if value is None:
        value = _airflow_variable(name)
    return default if value in (None, "") else value


# Where a dataset with a PostgreSQL sink (e.g. invoices) is loaded when nothing is configured:
# a local server with database, user and password ``pipeline`` (see the README).
LOCAL_DATABASE_URL = "postgresql://pipeline:pipeline@localhost:5432/pipeline"


def database_url(dataset: str) -> str:
    """The PostgreSQL URL ``dataset``'s records are loaded into.

    ``PIPELINE_<DATASET>_DB_URL`` (or Variable ``pipeline_<dataset>_db_url``), e.g.
    ``PIPELINE_INVOICES_DB_URL``; else :data:`LOCAL_DATABASE_URL`. On the aws target an
    unset URL is built from the RDS settings instead (``pipeline.orchestration.aws_postgres``).
    """
    return setting(f"{dataset}_db_url", LOCAL_DATABASE_URL)


SPARK_RUNNER_OFF = "off"  # spark_runner value: a spark-submit per job, no warm runner


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for one process."""

    target: str = "local"
    lake_root: str = str(REPO_ROOT / "lake")
    # local target
    spark_master: str = "local[*]"
    spark_driver_memory: str = "2g"
    spark_shuffle_partitions: str = "8"
    # Unix socket of a warm local Spark driver (pipeline.spark_runner), set by the pipeline
    # command while it runs; empty = one spark-submit per job; "off": the command starts none
    spark_runner: str = ""
    # Folder of the JVM class archive that speeds up every local Spark start
    # (pipeline.spark_class_archive, built by `make setup`); "off": none
    spark_class_archive: str = str(REPO_ROOT / ".cache" / "spark-classes")
    # DynamoDB endpoint of the local target; empty = the pipeline commands start dynalite
    # (pipeline.services) with its tables under dynalite_data_dir
    dynamodb_endpoint: str = ""
    dynalite_data_dir: str = str(REPO_ROOT / ".cache" / "dynalite")
    sensor_timeout_seconds: str = "3600"
    sensor_poke_seconds: str = "60"
    # both targets: catalog names
    glue_database: str = "lake"
    # aws target (names come from Terraform outputs, see infra/terraform/outputs.tf)
    aws_conn_id: str = "aws_default"
    aws_region: str = "eu-west-1"
    lambda_function: str = "glue-pipeline-trigger"
    glue_job_prefix: str = "glue-pipeline"
    glue_crawler_prefix: str = "glue-pipeline"
    athena_workgroup: str = "glue-pipeline"
    glue_scripts_uri: str = ""

    @classmethod
    def load(cls) -> Settings:
        """Resolve every field through :func:`setting`."""
        values = {f.name: setting(f.name, f.default) for f in fields(cls)}
        settings = cls(**values)
        if settings.target not in TARGETS:
            raise ConfigError(
                f"PIPELINE_TARGET must be one of {', '.join(TARGETS)}, got {settings.target!r}"
            )
        return settings
