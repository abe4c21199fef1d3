"""The dashboard's web server: stdlib ``http.server`` bound to 127.0.0.1 only.

Routes (GET and HEAD only):

- ``/``: the page (``static/index.html``; it loads ``/static/app.js`` and ``app.css``,
  nothing from the network);
- ``/api/datasets``: every dataset with its latest run (:meth:`DashboardData.overview`);
- ``/api/datasets/<name>``: one dataset in full (:meth:`DashboardData.dataset`);
- ``/data-docs/<path>``: the lake's Great Expectations Data Docs (``data_docs/``);
- ``/healthz``: ``ok``.

The page runs under a Content-Security-Policy that allows only this origin and no inline
script, so even a value that slipped into the DOM as markup could not run or fetch.
Data Docs pages get their own policy: GX's inline scripts may run, but their CDN
stylesheets and scripts are refused at once instead of timing out offline. Requests
whose ``Host`` is not this machine's loopback name are refused (DNS rebinding).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import signal
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO
from urllib.parse import unquote, urlsplit

from pipeline.datasets import UnknownDataset
from pipeline.lake import Lake

from .command import DEFAULT_PORT
from .data import DashboardData

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DATA_DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "frame-ancestors 'self'"
)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class DashboardServer(ThreadingHTTPServer):
    """Serves one :class:`DashboardData` on ``127.0.0.1:port`` (port 0: any free port)."""

    daemon_threads = True  # a slow request never keeps Ctrl-C from ending the process
    allow_reuse_address = True

    def __init__(self, data: DashboardData, port: int = DEFAULT_PORT) -> None:
        self.data = data
        self.static_files = {
            path.name: path for path in STATIC_DIR.iterdir() if path.suffix in STATIC_TYPES
        }
        super().__init__((HOST, port), DashboardHandler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_port}/"


class DashboardHandler(BaseHTTPRequestHandler):
    server: DashboardServer
    server_version = "pipeline-dashboard"
    sys_version = ""

    def do_HEAD(self) -> None:
        self._handle(send_body=False)

    def do_GET(self) -> None:
        self._handle(send_body=True)

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    # --- routing ---------------------------------------------------------------------------
    def _handle(self, send_body: bool) -> None:
        self._send_body = send_body
        if not self._host_allowed():
            self._send_text(HTTPStatus.MISDIRECTED_REQUEST, "unknown host\n")
            return
        path = urlsplit(self.path).path
        try:
            if path in ("/", "/index.html"):
                self._send_static("index.html")
            elif path.startswith("/static/"):
                self._send_static(path[len("/static/") :])
            elif path == "/api/datasets":
                self._send_json(self.server.data.overview())
            elif path.startswith("/api/datasets/"):
                self._send_dataset(unquote(path[len("/api/datasets/") :]))
            elif path in ("/data-docs", "/data-docs/"):
                self._redirect(self.server.data.data_docs_url())
            elif path.startswith("/data-docs/"):
                self._send_data_docs(unquote(path[len("/data-docs/") :]))
            elif path == "/healthz":
                self._send_text(HTTPStatus.OK, "ok\n")
            else:
                self._send_text(HTTPStatus.NOT_FOUND, "not found\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away
        except Exception as error:
            logger.exception("dashboard: %s failed", self.path)
            self._send_json(
                {"error": f"{type(error).__name__}: {error}"}, HTTPStatus.INTERNAL_SERVER_ERROR
            )

    def _host_allowed(self) -> bool:
        host = (self.headers.get("Host") or "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in LOOPBACK_NAMES

    def _send_dataset(self, name: str) -> None:
        try:
            detail = self.server.data.dataset(name)
        except UnknownDataset as error:
            self._send_json({"error": str(error)}, HTTPStatus.NOT_FOUND)
            return
        self._send_json(detail)

    def _send_static(self, name: str) -> None:
        path = self.server.static_files.get(name)
        if path is None:
            self._send_text(HTTPStatus.NOT_FOUND, "not found\n")
            return
        self._send(HTTPStatus.OK, path.read_bytes(), STATIC_TYPES[path.suffix], PAGE_CSP)

    def _send_data_docs(self, relative: str) -> None:
        body = self.server.data.data_docs_file(relative)
        if body is None:
            self._send_text(HTTPStatus.NOT_FOUND, "no such Data Docs page\n")
            return
        content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        self._send(HTTPStatus.OK, body, content_type, DATA_DOCS_CSP)

    # --- responses -------------------------------------------------------------------------
    def _send_json(self, payload: object, status: HTTPStatus = HTTPStatus.OK) -> None:
        body = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", PAGE_CSP)

    def _send_text(self, status: HTTPStatus, text: str) -> None:
        self._send(status, text.encode("utf-8"), "text/plain; charset=utf-8", PAGE_CSP)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, csp: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self._send_body:
            self.wfile.write(body)


def serve(
    lake_root: str, port: int = DEFAULT_PORT, database: str | None = None, out: TextIO | None = None
) -> int:
    """Serve the dashboard until Ctrl-C (or SIGTERM); 0 on a clean stop, 1 if it cannot bind."""
    out = out or sys.stdout
    if database is None:
        from pipeline.config import REPO_ROOT, Settings

        # Settings may consult Airflow Variables: those of the repo's local Airflow, as
        # ``pipeline run`` uses, unless AIRFLOW_HOME says otherwise.
        os.environ.setdefault("AIRFLOW_HOME", str(REPO_ROOT / ".airflow"))
        database = Settings.load().glue_database
    lake = Lake(lake_root)
    if lake.is_local and not Path(lake.root).is_dir():
        print(f"note: no lake at {lake.root} yet: datasets will show no runs", file=out)
    try:
        server = DashboardServer(DashboardData(lake, database), port)
    except OSError as error:
        print(f"error: cannot listen on {HOST}:{port}: {error.strerror or error}", file=sys.stderr)
        return 1
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    print(f"dashboard of lake {lake.root} (catalog database {database!r})", file=out)
    print(f"serving on {server.url}  (Ctrl-C to stop)", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
    print("dashboard stopped", file=out, flush=True)
    return 0


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
