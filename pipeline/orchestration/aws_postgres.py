"""The ``load_postgres`` task of the ``aws`` target: the run's records into RDS for PostgreSQL.

The very same step as on the local target (:func:`pipeline.orchestration.local_steps.load_postgres`
over the ``s3://`` lake: pyarrow reads ``processed/<table>/run_date=D/``, psycopg upserts in
one transaction, the step times itself into ``_runs/<dataset>/D/steps/``). It runs on the
Airflow worker, which must reach the database (MWAA in the VPC, allowed by the database's
security group: ``infra/terraform/modules/rds``). Only the connection differs:

* ``PIPELINE_<DATASET>_DB_URL`` / Variable ``pipeline_<dataset>_db_url`` when set (e.g. a
  URL kept in the Airflow secrets backend);
* otherwise built from the Terraform outputs in ``airflow_env``:
  ``PIPELINE_<DATASET>_DB_HOST``, ``_DB_PORT`` (5432), ``_DB_NAME``, ``_DB_SSLMODE``
  (``require``) and ``_DB_SECRET_ARN``, the RDS-managed master user secret (Secrets
  Manager, rotated by RDS), read with the amazon provider's ``SecretsManagerHook`` when the
  task runs -- never while the DAG file is parsed.

Wire it as ``from .aws_postgres import load_postgres`` in :mod:`.aws_tasks`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from airflow.sdk import task

from ..config import ConfigError, Settings, setting
from . import local_steps
from .context import run_date_of

DOC = (
    "Upserts the run's processed records (`processed/<table>/run_date=D/`, read from S3) into "
    "the dataset's RDS for PostgreSQL database in one transaction: `INSERT ... ON CONFLICT DO "
    "UPDATE`, a later run date wins, lines a replaced record no longer has are deleted. "
    "Credentials: the RDS-managed master user secret in Secrets Manager."
)


def database_url_resolver(dataset: str, settings: Settings) -> Callable[[], str]:
    """A function that returns the database URL when called (on the worker, at run time)."""

    def resolve() -> str:
        configured = setting(f"{dataset}_db_url", "")
        if configured:
            return configured
        host = setting(f"{dataset}_db_host", "")
        secret_arn = setting(f"{dataset}_db_secret_arn", "")
        if not host or not secret_arn:
            name = dataset.upper()
            raise ConfigError(
                f"set PIPELINE_{name}_DB_URL, or PIPELINE_{name}_DB_HOST and "
                f"PIPELINE_{name}_DB_SECRET_ARN (Terraform output airflow_env) for the aws target"
            )
        from airflow.providers.amazon.aws.hooks.secrets_manager import SecretsManagerHook
        from psycopg.conninfo import make_conninfo

        secret = SecretsManagerHook(
            aws_conn_id=settings.aws_conn_id, region_name=settings.aws_region
        ).get_secret_as_dict(secret_arn)
        return make_conninfo(
            host=host,
            port=setting(f"{dataset}_db_port", "5432"),
            dbname=setting(f"{dataset}_db_name", "pipeline"),
            user=secret["username"],
            password=secret["password"],
            sslmode=setting(f"{dataset}_db_sslmode", "require"),
        )

    return resolve


def load_postgres(dataset: str, settings: Settings):
    """Task builder for the ``load_postgres`` step id on the aws target."""
    if not settings.lake_root.startswith("s3://"):
        raise ConfigError(
            "PIPELINE_LAKE_ROOT must be s3://<bucket> on the aws target, "
            f"got {settings.lake_root!r}"
        )
    resolve = database_url_resolver(dataset, settings)

    @task(task_id="load_postgres", doc_md=DOC, execution_timeout=timedelta(minutes=30))
    def load(**context) -> dict[str, int]:
        return local_steps.load_postgres(dataset, run_date_of(context), url=resolve)

    return load()
