"""A warm local Spark driver that runs Glue job scripts one after another (local target only).

Started once through spark-submit by ``pipeline.spark_runner`` (for ``pipeline run`` and
``pipeline backfill``), it keeps one SparkSession, its Python workers and the imported
libraries (GX among them) alive, and runs each requested script as ``spark-submit`` would:
as ``__main__`` with the Glue arguments in ``sys.argv``, its exit code returned. What a job
would have paid per run (a JVM, a session, Python workers, imports: ~10 s each) is paid
once per command. Like a Glue warm pool, not a different job: the scripts are unchanged.

Protocol, on a Unix socket, one connection per job: the client sends one JSON line
``{"script": path, "argv": [...]}``; the runner streams ``{"line": text}`` lines of the
job's output, then ``{"exit": code}``. ``{"stop": true}`` ends the runner.

It lives no longer than the command that started it (``--parent-pid``): a watchdog thread
stops it when that command is gone (``kill -9`` included) or its JVM is, and Ctrl-C ends
it rather than failing the job in hand. It then removes its socket folder, and Python's
exit handlers remove the staged ``glue_lib`` zip: nothing is left running or on disk.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import runpy
import shutil
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # glue_lib, as for a job script

from glue_lib.session import build_spark


class _SwitchableStream(io.TextIOBase):
    """Stands in for stdout/stderr: writes go to the current job's connection.

    Loggers made by a job keep the stream object they were given, so the object stays the
    same and only its target changes from one job to the next.
    """

    def __init__(self, fallback) -> None:
        self.fallback = fallback
        self.target = None

    def write(self, text: str) -> int:
        (self.target or self.fallback).write(text)
        return len(text)

    def flush(self) -> None:
        (self.target or self.fallback).flush()


class _LineSender:
    """Text written by a job, sent to the client a line at a time."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.pending = ""

    def write(self, text: str) -> None:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self.send({"line": line})

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self.pending:
            self.send({"line": self.pending})
            self.pending = ""

    def send(self, message: dict) -> None:
        with contextlib.suppress(OSError):  # the client went away; the job still runs
            self.connection.sendall((json.dumps(message) + "\n").encode())


def run_script(script: str, argv: list[str]) -> int:
    """Run ``script`` as ``__main__`` with ``argv``; its exit code, as Python's would be."""
    saved_argv = sys.argv
    sys.argv = [script, *argv]
    try:
        runpy.run_path(script, run_name="__main__")
        return 0
    except SystemExit as exit_:
        if exit_.code is None:
            return 0
        if isinstance(exit_.code, int):
            return exit_.code
        print(exit_.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C, or the watchdog: the runner itself stops
        raise
    except BaseException:  # a crashing job must not take the runner down
        traceback.print_exc()
        return 1
    finally:
        sys.argv = saved_argv


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie, killed but not yet reaped, has)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


class Watchdog:
    """Stops the runner once the command that started it, or its own JVM, is gone.

    An interrupt in the main thread unwinds the job in hand and ``serve``; if that has not
    ended the process within ``grace`` seconds (a JVM call that never returns), it exits
    hard. ``orphaned`` tells ``serve`` to remove the socket folder nobody else will.
    """

    def __init__(self, command_pid: int, interval: float = 0.5, grace: float = 20.0) -> None:
        self.command_pid, self.jvm_pid = command_pid, os.getppid()
        self.interval, self.grace = interval, grace
        self.orphaned = False

    def start(self) -> None:
        threading.Thread(target=self._watch, name="runner-watchdog", daemon=True).start()

    def _watch(self) -> None:
        while not (_gone(self.command_pid) or os.getppid() != self.jvm_pid):
            time.sleep(self.interval)
        self.orphaned = True
        print("runner: the pipeline command is gone; stopping", file=sys.__stderr__, flush=True)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(self.grace)
        os._exit(1)


def serve(socket_path: str, watchdog: Watchdog | None = None) -> None:
    spark = build_spark("local-glue-runner")
    out, err = _SwitchableStream(sys.stdout), _SwitchableStream(sys.stderr)
    sys.stdout, sys.stderr = out, err
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(1)
    print(f"runner ready on {socket_path}", file=sys.__stdout__, flush=True)
    try:
        while True:
            connection, _ = server.accept()
            with connection:
                request = json.loads(connection.makefile("r").readline() or "{}")
                if request.get("stop"):
                    break
                sender = _LineSender(connection)
                out.target = err.target = sender
                try:
                    code = run_script(request["script"], request.get("argv", []))
                finally:
                    out.target = err.target = None
                    spark.catalog.clearCache()  # nothing a job cached outlives it
                    sender.close()
                sender.send({"exit": code})
    except KeyboardInterrupt:
        print("runner: interrupted; stopping", file=sys.__stderr__, flush=True)
    finally:
        server.close()
        folder = Path(socket_path).parent
        if watchdog and watchdog.orphaned and folder.name.startswith("spark-runner-"):
            shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(Exception):  # the JVM may be gone already
            spark.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--parent-pid", type=int, help="stop when this process is gone")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)  # stop as on Ctrl-C: exit handlers run
    watchdog = Watchdog(args.parent_pid) if args.parent_pid else None
    if watchdog:
        watchdog.start()
    serve(args.socket, watchdog)


if __name__ == "__main__":
    main()
