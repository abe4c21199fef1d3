"""PostgreSQL on demand for the local target, so every dataset runs on a fresh machine.

A dataset with a ``postgres`` sink (invoices) is loaded into ``PIPELINE_<DATASET>_DB_URL``;
when that is not set, ``pipeline run``/``backfill`` and ``make airflow`` start a cluster of
their own (:func:`postgres_for`): Debian's ``postgresql`` binaries (installed by the
set-up), data in a folder that persists between commands (``PIPELINE_POSTGRES_DATA_DIR``,
default ``.cache/postgres/``; as root ``/var/tmp/glue-pipeline-postgres-<repo>/``, because
the server refuses to run as root and runs as ``nobody``, which must reach the folder), a
free loopback port, trust authentication on 127.0.0.1 only. Commands running at the same
time share one server: each holds a shared ``flock`` while it uses it, and the last one out
stops it (``pg_ctl stop -m fast``). On the aws target nothing is started: RDS is
Terraform's. The tests use :func:`running_postgres` with a throw-away folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .config import REPO_ROOT, Settings, setting
from .datasets import get_dataset

log = logging.getLogger(__name__)
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with "
    "`apt-get install -y postgresql` (Debian/Ubuntu), or put their bin/ folder on PATH, "
    "or set PIPELINE_INVOICES_DB_URL to a server of your own"
)
SERVER_USER = "nobody"
SUPERUSER = "postgres"
DATABASE = "pipeline"


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


class Cluster:
    """One PostgreSQL cluster in ``base`` (``data/``, ``sock/``, ``server.log``)."""

    def __init__(self, base: Path, durable: bool) -> None:
        self.base, self.durable = base, durable
        self.data, self.sockets, self.logfile = base / "data", base / "sock", base / "server.log"
        self.bin_dir, self.prefix = find_bin_dir(), _as_server_user()
        self.env = {**os.environ, "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}

    def _pg(self, tool: str, *args: str, timeout: int = 90) -> subprocess.CompletedProcess:
        command = [*self.prefix, str(self.bin_dir / tool), *args]
        return _run(command, env=self.env, cwd=self.base, timeout=timeout)

    def ensure_initialised(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if self.prefix:
            entry = pwd.getpwnam(SERVER_USER)
            for path in (self.base, self.sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        if (self.data / "PG_VERSION").exists():
            return
        options = ["-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8"]
        self._pg("initdb", *options, *([] if self.durable else ["--no-sync"]), timeout=120)

    def running_port(self) -> int | None:
        """The port of this cluster's live server, if one is up."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return None
        status = subprocess.run(
            [*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True,
            env=self.env,
            cwd=self.base,
        )
        if status.returncode != 0:
            return None
        lines = pid_file.read_text().splitlines()
        return int(lines[3]) if len(lines) > 3 and lines[3].isdigit() else None

    def start(self) -> int:
        port = free_port()
        options = f"-k {self.sockets} -p {port} -h 127.0.0.1 -c max_connections=20"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._pg("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.logfile),
                 "-w", "-t", "60", "start")  # fmt: skip
        return port

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            [*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "stop"],
            capture_output=True,
            env=self.env,
            cwd=self.base,
            timeout=60,
        )


def ensure_database(port: int, database: str) -> str:
    """Create ``database`` if missing; its URL."""
    import psycopg
    from psycopg import sql

    admin = f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if found.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{database}"


@contextlib.contextmanager
def running_postgres(database: str = DATABASE, base: Path | None = None) -> Iterator[str]:
    """A server with ``database``; yields its URL.

    ``base`` None: a throw-away cluster in a temp folder (tests), removed afterwards.
    Otherwise the cluster in ``base``, kept; shared with other commands using it at the
    same time, and stopped by the last one to finish.
    """
    if base is None:
        # as root, a folder ``nobody`` can reach: TMPDIR may sit under a root-only directory
        temp = Path(tempfile.mkdtemp(prefix="pg_test_", dir="/tmp" if os.geteuid() == 0 else None))
        cluster = Cluster(temp, durable=False)
        try:
            cluster.ensure_initialised()
            port = cluster.start()
            try:
                yield ensure_database(port, database)
            finally:
                cluster.stop("immediate")
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        return
    cluster = Cluster(base, durable=True)
    base.mkdir(parents=True, exist_ok=True)
    users = os.open(base / "users.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        with _exclusive(base / "start.lock"):
            fcntl.flock(users, fcntl.LOCK_SH)
            cluster.ensure_initialised()
            port = cluster.running_port() or cluster.start()
            url = ensure_database(port, database)
        log.info("local PostgreSQL on 127.0.0.1:%d, data in %s", port, cluster.data)
        yield url
    finally:
        with _exclusive(base / "start.lock"):
            os.close(users)  # my shared hold goes; is anyone else still using the server?
            with _exclusive(base / "users.lock", wait=False) as alone:
                if alone:
                    cluster.stop()
                    log.info("local PostgreSQL stopped (data kept in %s)", cluster.data)


@contextlib.contextmanager
def _exclusive(path: Path, wait: bool = True) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def data_folder() -> Path:
    """Where the on-demand cluster keeps its data (``PIPELINE_POSTGRES_DATA_DIR``)."""
    configured = setting("postgres_data_dir", "")
    if configured:
        return Path(configured).expanduser().resolve()
    if os.geteuid() == 0:  # ``nobody`` runs the server and must reach the folder
        tag = hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:8]
        return Path("/var/tmp") / f"glue-pipeline-postgres-{tag}"
    return REPO_ROOT / ".cache" / "postgres"


def datasets_needing_postgres(datasets: Iterable[str]) -> list[str]:
    """The datasets with a postgres sink and no configured URL, on the local target."""
    if Settings.load().target != "local":
        return []
    return [
        d for d in datasets if "postgres" in get_dataset(d).sinks and not setting(f"{d}_db_url", "")
    ]


@contextlib.contextmanager
def postgres_for(datasets: Iterable[str]) -> Iterator[None]:
    """Start the local cluster when a dataset needs one and none is configured; export its
    URL as ``PIPELINE_<DATASET>_DB_URL`` for this process (restored afterwards)."""
    needing = datasets_needing_postgres(datasets)
    if not needing:
        yield
        return
    with running_postgres(DATABASE, data_folder()) as url:
        names = [f"PIPELINE_{d.upper()}_DB_URL" for d in needing]
        saved = {name: os.environ.get(name) for name in names}
        os.environ.update(dict.fromkeys(names, url))
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def hold() -> None:
    """``python -m pipeline.local_postgres``: keep the local server up for a script's
    lifetime (``make airflow``): print its URL, hold it until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        with running_postgres(DATABASE, data_folder()) as url:
            print(url, flush=True)
            while True:
                signal.pause()
    except KeyboardInterrupt:
        pass
    except PostgresUnavailable as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    hold()
