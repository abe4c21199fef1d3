"""Fixtures of the aws tests: moto's server, its environment, and the session's DAG run.

See moto_support.py for what the DAG run seeds, records and returns.
"""

from __future__ import annotations

import logging

import pytest
import requests
from moto_support import (
    EMPTY_DATE,
    REFUSED_DATE,
    RUN_DATE,
    DagRunResult,
    aws_environment,
    create_bucket,
    create_services,
    recorded_calls,
    run_dag_subprocess,
    seed_lake,
)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory) -> str:
    """moto's server on 127.0.0.1 (a free port), Lambda without docker, recorder ready."""
    from moto.moto_api import recorder
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one INFO line per request

    # where /moto-api/recorder/ keeps its log (default: ./moto_recording in the cwd)
    recorder._location = str(tmp_path_factory.mktemp("moto") / "recording.jsonl")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    response = requests.post(f"{endpoint}/moto-api/config", json={"lambda": {"use_docker": False}})
    response.raise_for_status()
    # moto's default for a crawl is to finish only when told to; let it finish at once
    response = requests.post(
        f"{endpoint}/moto-api/state-manager/set-transition",
        json={"model_name": "glue::crawl", "transition": {"progression": "immediate"}},
    )
    response.raise_for_status()
    yield endpoint
    server.stop()


@pytest.fixture(autouse=True)
def aws_env(moto_endpoint, monkeypatch) -> str:
    """Each aws test talks to moto (restored after the test)."""
    for name, value in aws_environment(moto_endpoint).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


@pytest.fixture(scope="session")
def dag_run(moto_endpoint, tmp_path_factory) -> DagRunResult:
    """The aws-target DAG runs for EMPTY_DATE, RUN_DATE and REFUSED_DATE, against moto."""
    bucket = "test-lake-dag"
    lake_root = f"s3://{bucket}"
    create_bucket(moto_endpoint, bucket)
    seeded = seed_lake(moto_endpoint, bucket)
    seeded.update(create_services(moto_endpoint, bucket))

    requests.post(f"{moto_endpoint}/moto-api/recorder/reset-recording").raise_for_status()
    requests.post(f"{moto_endpoint}/moto-api/recorder/start-recording").raise_for_status()
    try:
        result = run_dag_subprocess(
            moto_endpoint,
            lake_root,
            [EMPTY_DATE, RUN_DATE, REFUSED_DATE],
            tmp_path_factory.mktemp("airflow"),
        )
    finally:
        requests.post(f"{moto_endpoint}/moto-api/recorder/stop-recording").raise_for_status()
    return DagRunResult(
        endpoint=moto_endpoint,
        bucket=bucket,
        lake_root=lake_root,
        tasks=result["tasks"],
        tasks_with_defaults=result["tasks_with_defaults"],
        parse_connection_attempts=result["parse_connection_attempts"],
        deferral=result["deferral"],
        runs=result["runs"],
        calls=recorded_calls(moto_endpoint),
        seeded=seeded,
    )
