"""A throw-away PostgreSQL server for tests: initdb in a temp dir, 127.0.0.1, a free port.

``postgres`` refuses to run as root, and CI runs the suite as root on a fresh clone; so
when the tests run as root the server runs as the unprivileged ``nobody`` user (through
``setpriv``, or ``runuser``), in a directory created for it under ``/tmp``.
The binaries come from ``PATH`` or Debian's ``/usr/lib/postgresql/<version>/bin``
(``apt-get install postgresql``). Tuned for tests: no fsync, trust authentication on
127.0.0.1 only, a private Unix socket directory.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with "
    "`apt-get install -y postgresql` (Debian/Ubuntu), or put their bin/ folder on PATH"
)
SERVER_USER = "nobody"
SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries, or the server did not start (message says why)."""


def find_bin_dir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl`` (newest Debian version first)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise PostgresUnavailable(INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user() -> list[str]:
    """Command prefix that drops root to ``nobody`` (empty when not root)."""
    if os.geteuid() != 0:
        return []
    entry = pwd.getpwnam(SERVER_USER)
    if shutil.which("setpriv"):  # util-linux, no PAM involved
        return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER, "--"]
    raise PostgresUnavailable("running as root and neither setpriv nor runuser is available")


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise PostgresUnavailable(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


@contextlib.contextmanager
def running_postgres(database: str = "pipeline") -> Iterator[str]:
    """Start a server, create ``database``, yield its URL; stop and delete it afterwards."""
    bin_dir = find_bin_dir()
    prefix = _as_server_user()
    # as root, a folder ``nobody`` can reach: TMPDIR may sit under a root-only directory
    base = Path(tempfile.mkdtemp(prefix="pg_test_", dir="/tmp" if prefix else None))
    data, sockets, logfile = base / "data", base / "sock", base / "server.log"
    sockets.mkdir()
    if prefix:
        entry = pwd.getpwnam(SERVER_USER)
        for path in (base, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}
    port = free_port()
    started = False
    try:
        _run(
            [
                *prefix,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            env=env,
            cwd=base,
            timeout=120,
        )
        options = (
            f"-k {sockets} -p {port} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=20 -c shared_buffers=32MB"
        )
        _run(
            [
                *prefix,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                *("-l", str(logfile), "-w", "-t", "60", "start"),
            ],
            env=env,
            cwd=base,
            timeout=90,
        )
        started = True
        admin = f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
        _create_database(admin, database)
        yield f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{database}"
    finally:
        if started:
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                env=env,
                cwd=base,
                timeout=60,
            )
        shutil.rmtree(base, ignore_errors=True)


def _create_database(admin_url: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
