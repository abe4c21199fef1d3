"""Code shared by the Glue job entry scripts.

Shipped to AWS Glue as ``--extra-py-files`` (a zip of this folder); locally it is
importable because ``spark-submit glue_jobs/<job>.py`` puts ``glue_jobs/`` on sys.path.
It must never import Airflow or the ``pipeline`` orchestration package: Glue has neither.
"""
