"""Orchestration package: everything that runs around the Glue jobs.

Importable and testable without Airflow running. The Glue jobs (``glue_jobs/``) and the
trigger Lambda (``lambdas/``) do not import it: they run where this package is absent.
"""
