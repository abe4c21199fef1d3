"""Airflow metadata-DB settings for local runs on SQLite.

Standalone's scheduler, dag-processor, triggerer and api-server share one SQLite file;
a CLI call such as ``airflow backfill create`` made beside them must wait for the write
lock instead of failing with "database is locked".
"""

connect_args = {"timeout": 60}  # seconds sqlite3 waits for a lock
