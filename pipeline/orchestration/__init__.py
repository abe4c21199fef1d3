"""Airflow wiring: the DAG factory and, per target, the tasks behind each step id."""
