"""A local DynamoDB endpoint: dynalite (a DynamoDB-compatible server on LevelDB) on demand.

The local target's stand-in for DynamoDB. ``running_dynalite()`` starts
``node node_modules/dynalite/cli.js`` on 127.0.0.1 and a free port, waits until it answers
``ListTables`` and yields its endpoint URL; at the end it terminates the server's whole
process group. ``data_dir=None`` keeps the tables in a throw-away temporary folder (tests);
the pipeline commands pass a persistent, git-ignored folder (``.cache/dynalite/``, setting
``dynalite_data_dir``) so tables outlive a run. A server already running on that folder
(started by another pipeline command, e.g. ``make airflow``) is reused, not started twice:
LevelDB allows one process per folder.

At 1 TB/day on AWS this module plays no part: DynamoDB is Terraform's, and the endpoint
is the regional one. dynalite is a single Node.js process holding one LevelDB; it is meant
for a developer's runs (thousands of items), not for load.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..config import REPO_ROOT

log = logging.getLogger(__name__)

DYNALITE_CLI = REPO_ROOT / "node_modules" / "dynalite" / "cli.js"
INSTALL_HINT = (
    "install Node.js (`apt-get install -y nodejs npm`) and the repository's Node.js tools "
    "(`npm ci --no-audit --no-fund` at the repository root, or `make setup`), or point the "
    "pipeline at a DynamoDB endpoint with PIPELINE_DYNAMODB_ENDPOINT"
)
STATE_FILE = "server.json"  # pid and port of the server running on a persistent folder
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
# dynalite accepts any credentials; boto3 insists on having some
LOCAL_CREDENTIALS = {
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",
    "region_name": "us-east-1",
}


class DynamoDBUnavailable(RuntimeError):
    """No Node.js or no dynalite, or the server did not start (the message says why)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dynalite_command(port: int, db_dir: Path) -> list[str]:
    """The command that serves ``db_dir`` on 127.0.0.1:``port``."""
    node = shutil.which("node")
    if node is None:
        raise DynamoDBUnavailable(f"node (Node.js) not found on PATH: {INSTALL_HINT}")
    if not DYNALITE_CLI.is_file():
        raise DynamoDBUnavailable(f"{DYNALITE_CLI} not found: {INSTALL_HINT}")
    return [
        node,
        str(DYNALITE_CLI),
        *("--host", "127.0.0.1", "--port", str(port), "--path", str(db_dir)),
        *("--createTableMs", "50", "--deleteTableMs", "50", "--updateTableMs", "50"),
    ]


def client(endpoint: str):
    """A boto3 DynamoDB client for a local ``endpoint`` (dummy credentials)."""
    import boto3

    return boto3.client("dynamodb", endpoint_url=endpoint, **LOCAL_CREDENTIALS)


def answers(endpoint: str) -> bool:
    """Whether ``endpoint`` answers ``ListTables`` (one short try)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    probe = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 0}),
        **LOCAL_CREDENTIALS,
    )
    try:
        probe.list_tables(Limit=1)
    except (BotoCoreError, ClientError):
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running_server(data_dir: Path) -> str | None:
    """Endpoint of a live server another command started on ``data_dir``, if any."""
    try:
        state = json.loads((data_dir / STATE_FILE).read_text())
        pid, port = int(state["pid"]), int(state["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    endpoint = f"http://127.0.0.1:{port}"
    return endpoint if _alive(pid) and answers(endpoint) else None


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextlib.contextmanager
def running_dynalite(data_dir: str | os.PathLike | None = None) -> Iterator[str]:
    """Yield the endpoint URL (``http://127.0.0.1:<port>``) of a running dynalite.

    ``data_dir=None``: tables live in a temporary folder deleted afterwards. Otherwise
    they live in ``data_dir/db`` and persist; a live server already serving ``data_dir``
    is reused (and left running).
    """
    temporary = data_dir is None
    base = Path(tempfile.mkdtemp(prefix="dynalite_")) if temporary else Path(data_dir)
    try:
        if not temporary:
            existing = _running_server(base)
            if existing:
                log.info("DynamoDB (dynalite) already running at %s, data in %s", existing, base)
                yield existing
                return
        base.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile() as output:
            process, endpoint = _start(base, output)
            try:
                if not temporary:
                    state = {"pid": process.pid, "port": int(endpoint.rsplit(":", 1)[1])}
                    (base / STATE_FILE).write_text(json.dumps(state))
                yield endpoint
            finally:
                _stop(process)
                if not temporary:
                    with contextlib.suppress(OSError):
                        (base / STATE_FILE).unlink()
    finally:
        if temporary:
            shutil.rmtree(base, ignore_errors=True)


def _start(base: Path, output) -> tuple[subprocess.Popen, str]:
    """Start dynalite on ``base/db`` and a free port; return it once it answers."""
    for _attempt in range(3):  # the free port may be taken between probe and bind
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        process = subprocess.Popen(
            dynalite_command(port, base / "db"),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            if answers(endpoint):
                return process, endpoint
            time.sleep(0.1)
        _stop(process)
        output.seek(0)
        text = output.read().decode(errors="replace").strip()
        if "EADDRINUSE" not in text:
            why = f"exited with {process.returncode}" if process.returncode else "no answer"
            raise DynamoDBUnavailable(
                f"dynalite did not start on {endpoint} ({why} after "
                f"{START_TIMEOUT_SECONDS:.0f} s): {text[-2000:] or 'no output'}"
            )
        output.seek(0)
        output.truncate()
    raise DynamoDBUnavailable("dynalite found no free port on 127.0.0.1 in 3 attempts")
