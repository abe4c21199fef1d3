"""Local implementations of the DAG's steps (the ``local`` target).

Each module does for real, on the lake folder, what the AWS service does on the bucket:
``crawl`` the Glue crawler, ``athena`` the Athena summary queries.
"""
