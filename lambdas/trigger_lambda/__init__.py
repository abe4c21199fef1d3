"""The trigger Lambda: preflight raw files, quarantine bad ones, write the run manifest.

Imports neither pyspark nor Airflow (package size, cold start); boto3 is in the Lambda
runtime. Locally the same handler runs in-process against a lake folder.
"""
