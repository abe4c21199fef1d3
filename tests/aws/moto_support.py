"""The aws target against moto's server: what the aws tests seed, run and record.

moto runs no Lambda code, Glue job, crawler or Athena query, so the tests check the calls
the DAG makes and their parameters. moto's request recorder (``/moto-api/recorder/``)
captures every request the DAG sends, bodies included; the objects the remote compute
would have written (manifest, job counts, processed Parquet) are seeded into moto's S3
first, and the Lambda's answer is queued on moto's simple (docker-free) Lambda backend.

The DAG runs once per session (fixture ``dag_run`` in conftest.py), with ``dag.test()`` in a
subprocess (:func:`run_dag_subprocess`: its own ``AIRFLOW_HOME`` in a temp folder, SQLite
metadata DB); the tests share the result.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import requests

REPO = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
RUN_DATE = "2024-03-01"  # the run that finds new files
EMPTY_DATE = "2024-02-28"  # a run whose day has no new files: skipped
REFUSED_DATE = "2024-03-02"  # a run whose files the trigger Lambda refuses: fails
EXTRA_TABLE = "order_notes"  # a second processed table of orders in the DAG run (see runner)
LEDGER_DATE = "2024-02-27"  # an earlier successful run that already processed a file

# Non-default names everywhere: a name that reaches AWS can only have come from Settings.
NAMES = {
    "PIPELINE_AWS_CONN_ID": "moto_aws",
    "PIPELINE_AWS_REGION": REGION,
    "PIPELINE_LAMBDA_FUNCTION": "test-trigger",
    "PIPELINE_GLUE_JOB_PREFIX": "test-jobs",
    "PIPELINE_GLUE_CRAWLER_PREFIX": "test-crawlers",
    "PIPELINE_ATHENA_WORKGROUP": "test-workgroup",
    "PIPELINE_GLUE_DATABASE": "test_lake",
    "PIPELINE_GLUE_SCRIPTS_URI": "s3://test-artifacts/glue/",
}


def aws_environment(endpoint: str) -> dict[str, str]:
    """Environment for anything that talks to moto: endpoint, fake credentials, region."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        # never a developer's real profile or credentials
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)


def create_bucket(endpoint: str, bucket: str) -> None:
    client(endpoint, "s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )


# --- moto's request recording ------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def target(self) -> str:
        """``X-Amz-Target`` of a JSON-protocol call, e.g. ``AWSGlue.StartJobRun``."""
        return {k.lower(): v for k, v in self.headers.items()}.get("x-amz-target", "")

    def header(self, name: str) -> str | None:
        return {k.lower(): v for k, v in self.headers.items()}.get(name.lower())

    def json(self):
        return json.loads(self.body)


def recorded_calls(endpoint: str) -> list[Call]:
    text = requests.get(f"{endpoint}/moto-api/recorder/download-recording").text
    calls = []
    for line in filter(None, text.splitlines()):
        entry = json.loads(line)
        body = entry.get("body") or ""
        raw = base64.b64decode(body) if entry.get("body_encoded") else body.encode("utf-8")
        path = urlsplit(entry["url"]).path
        calls.append(Call(entry["method"], path, entry.get("headers") or {}, raw))
    return calls


# --- the DAG run -------------------------------------------------------------------------------


@dataclass
class DagRunResult:
    endpoint: str
    bucket: str
    lake_root: str
    tasks: dict  # task id -> attributes, as the test run configured them
    tasks_with_defaults: dict  # the same with the production defaults (deferrable ...)
    parse_connection_attempts: list  # network connections tried while the DAG was parsed
    deferral: dict  # task id -> {"deferrals": [...], "result"}: the deferrable path, simulated
    runs: dict  # date -> {"state", "tasks": {task id: state}, "new_files"}
    calls: list[Call]  # every request moto received during the runs
    seeded: dict = field(default_factory=dict)

    def s3_json(self, key: str):
        body = client(self.endpoint, "s3").get_object(Bucket=self.bucket, Key=key)["Body"]
        return json.loads(body.read())

    def s3_keys(self, prefix: str) -> list[str]:
        listing = client(self.endpoint, "s3").list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [obj["Key"] for obj in listing.get("Contents", [])]

    def targeted(self, target: str) -> list[Call]:
        return [call for call in self.calls if call.target == target]


def _put(s3, bucket: str, key: str, body: bytes | str) -> dict:
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    head = s3.head_object(Bucket=bucket, Key=key)
    return {"key": key, "size": head["ContentLength"], "modified": head["LastModified"].timestamp()}


def _parquet(rows: int) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"order_id": [f"o{i}" for i in range(rows)]}), buffer)
    return buffer.getvalue()


def _lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def seed_lake(endpoint: str, bucket: str) -> dict:
    """Raw files of several dates, an earlier run's record, and what the Lambda/job write."""
    s3 = client(endpoint, "s3")
    csv = "order_id,customer_id\no1,c1\n"
    new_a = _put(s3, bucket, f"raw/orders/dt={RUN_DATE}/orders_a.csv", csv)
    new_c = _put(s3, bucket, "raw/orders/2024/03/01/orders c.csv", csv)  # YYYY/MM/DD + a space
    done = _put(s3, bucket, f"raw/orders/dt={RUN_DATE}/already_processed.csv", csv)
    _put(s3, bucket, "raw/orders/dt=2024-02-29/other_day.csv", csv)
    _put(s3, bucket, f"raw/orders/dt={REFUSED_DATE}/late.csv", csv)
    _put(s3, bucket, f"raw/orders/dt={RUN_DATE}/readme.txt", "not a data file")
    _put(s3, bucket, f"raw/orders/dt={RUN_DATE}/_SUCCESS", "")
    ledger = {
        "dataset": "orders",
        "logical_date": LEDGER_DATE,
        "status": "success",
        "files": [{**done, "sha256": "ab" * 32, "rows_read": 1, "rows_valid": 1}],
    }
    _put(s3, bucket, f"_runs/orders/{LEDGER_DATE}/run.json", json.dumps(ledger))
    # a step result left by an earlier attempt at EMPTY_DATE: a new attempt must forget it
    stale = {"step": "glue_job", "status": "failed", "seconds": 1.0}
    _put(s3, bucket, f"_runs/orders/{EMPTY_DATE}/steps/glue_job.json", json.dumps(stale))

    # What the trigger Lambda and the Glue clean job would have written for RUN_DATE.
    manifest_files = [
        {**new_a, "order": 0, "sha256": "01" * 32, "status": "accepted"},
        {**new_c, "order": 1, "sha256": "02" * 32, "status": "accepted"},
    ]
    manifest = {"dataset": "orders", "run_date": RUN_DATE, "files": manifest_files}
    _put(s3, bucket, f"_runs/orders/{RUN_DATE}/manifest.json", json.dumps(manifest))
    counts = {
        "files": [
            {"key": new_a["key"], "rows_read": 2, "rows_valid": 2, "rows_rejected": 0},
            {"key": new_c["key"], "rows_read": 1, "rows_valid": 1, "rows_rejected": 0},
        ],
        "totals": {"rows_read": 3, "rows_valid": 3, "rows_rejected": 0, "rows_duplicate": 0},
        "rows_valid_by_table": {"orders": 3, EXTRA_TABLE: 0},
    }
    _put(s3, bucket, f"_runs/orders/{RUN_DATE}/job_counts.json", json.dumps(counts))
    _put(s3, bucket, f"processed/orders/run_date={RUN_DATE}/part-00000.parquet", _parquet(3))
    # an earlier run's Athena result: must not survive the re-run
    _put(s3, bucket, "enriched/orders/sales_by_customer/earlier-query.csv", "customer_id\nc0\n")
    _put(s3, bucket, "enriched/orders/sales_by_customer/earlier-query.csv.metadata", "x")
    return {"new": [new_a["key"], new_c["key"]], "done": done["key"], "manifest": manifest}


def create_services(endpoint: str, bucket: str) -> dict:
    """The Terraform-owned resources the DAG expects: Lambda, Glue jobs/crawler, workgroup."""
    role = client(endpoint, "iam").create_role(
        RoleName="pipeline-test",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    client(endpoint, "lambda").create_function(
        FunctionName=NAMES["PIPELINE_LAMBDA_FUNCTION"],
        Runtime="python3.11",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": _lambda_zip()},
    )
    glue = client(endpoint, "glue")
    glue.create_database(DatabaseInput={"Name": NAMES["PIPELINE_GLUE_DATABASE"]})
    for job in ("orders", "validate"):
        glue.create_job(
            Name=f"{NAMES['PIPELINE_GLUE_JOB_PREFIX']}-{job}",
            Role=role,
            Command={"Name": "glueetl", "ScriptLocation": f"s3://test-artifacts/glue/{job}_job.py"},
        )
    glue.create_crawler(
        Name=f"{NAMES['PIPELINE_GLUE_CRAWLER_PREFIX']}-orders",
        Role=role,
        DatabaseName=NAMES["PIPELINE_GLUE_DATABASE"],
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/processed/orders/"}]},
    )
    client(endpoint, "athena").create_work_group(Name=NAMES["PIPELINE_ATHENA_WORKGROUP"])
    # The Lambda's answers, in invocation order (moto echoes the payload otherwise): what the
    # handler returns for RUN_DATE, then its refusal of REFUSED_DATE's event.
    answer = {
        "ok": True,
        "dataset": "orders",
        "run_date": RUN_DATE,
        "manifest_uri": f"s3://{bucket}/_runs/orders/{RUN_DATE}/manifest.json",
        "counts": {"accepted": 2, "bad_file": 0, "duplicate_file": 0},
    }
    refusal = json.dumps({"ok": False, "error": "event has no 'Records' list"})
    requests.post(
        f"{endpoint}/moto-api/static/lambda-simple/response",
        json={"account_id": ACCOUNT, "region": REGION, "results": [json.dumps(answer), refusal]},
    ).raise_for_status()
    return {"lambda_answer": answer}


def run_dag_subprocess(endpoint: str, lake_root: str, dates: list[str], home: Path) -> dict:
    connection = {
        "conn_type": "aws",
        "login": CREDENTIALS["aws_access_key_id"],
        "password": CREDENTIALS["aws_secret_access_key"],
        "extra": {"endpoint_url": endpoint, "region_name": REGION},
    }
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPELINE_"))},
        **aws_environment(endpoint),
        **NAMES,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW_RUNNER_LOG_LEVEL", "WARNING"),
        "AIRFLOW_CONN_MOTO_AWS": json.dumps(connection),
        "PIPELINE_TARGET": "aws",
        "PIPELINE_LAKE_ROOT": lake_root,
        "PIPELINE_SKIP_AIRFLOW_VARIABLES": "1",
        "PIPELINE_TASK_RETRIES": "0",
        # no triggerer here (and no aiobotocore): the same operators, waiting in the worker
        "PIPELINE_DEFERRABLE": "false",
        "PIPELINE_AWS_POLL_SECONDS": "1",
        "TEST_EXTRA_PROCESSED_TABLE": EXTRA_TABLE,
        "DEFERRAL_DATE": RUN_DATE,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "lambdas"), str(REPO / "glue_jobs")]),
    }
    out = home / "result.json"
    log = home / "runner.log"
    with log.open("w") as stream:
        process = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("airflow_runner.py")), str(out), *dates],
            env=env,
            cwd=home,
            stdout=stream,
            stderr=subprocess.STDOUT,
            timeout=int(os.environ.get("AIRFLOW_RUNNER_TIMEOUT", "300")),
        )
    if process.returncode != 0 or not out.exists():
        tail = log.read_text()[-6000:]
        raise AssertionError(f"airflow_runner failed ({process.returncode}):\n{tail}")
    return json.loads(out.read_text())
