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
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import runpy
import socket
import sys
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
    except BaseException:  # a crashing job must not take the runner down
        traceback.print_exc()
        return 1
    finally:
        sys.argv = saved_argv


def serve(socket_path: str) -> None:
    spark = build_spark("local-glue-runner")
    out, err = _SwitchableStream(sys.stdout), _SwitchableStream(sys.stderr)
    sys.stdout, sys.stderr = out, err
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(1)
    print(f"runner ready on {socket_path}", file=sys.__stdout__, flush=True)
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
    server.close()
    spark.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    serve(parser.parse_args().socket)


if __name__ == "__main__":
    main()
