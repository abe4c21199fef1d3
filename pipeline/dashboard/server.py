"""The dashboard's web app: Flask, served by werkzeug's threaded server on 127.0.0.1 only.

Routes (GET and HEAD):

- ``/``: the page (``static/index.html``; it loads ``/static/app.js``, ``app.css`` and
  the chart library from ``/vendor/``, nothing from the network);
- ``/vendor/<file>``: Vega, Vega-Lite and vega-embed, read from the repo's ``node_modules/``
  (installed by ``npm ci`` from ``package.json``); when they are missing the page says so in
  one line and still shows every table;
- ``/api/datasets``: every dataset with its latest run (:meth:`DashboardData.overview`) and
  whether charts can be drawn;
- ``/api/datasets/<name>``: one dataset in full (:meth:`DashboardData.dataset`), its
  charts as Vega-Lite specs;
- ``/data-docs/<path>``: the lake's Great Expectations Data Docs (``data_docs/``; only
  regular files really inside it, see :meth:`DashboardData.data_docs_file`);
- ``/healthz``: ``ok``.

The page runs under a Content-Security-Policy that allows only this origin and no inline
script, so even a value that slipped into the DOM as markup could not run or fetch. Its one
allowance is ``'unsafe-eval'``: Vega compiles its expressions with ``Function`` (the
interpreter that avoids it ships only as an ES module with its own dependencies). Data Docs
pages get their own policy: GX's inline scripts may run, but their CDN stylesheets and
scripts are refused at once instead of timing out offline. Requests whose ``Host`` is not
this machine's loopback name are refused (DNS rebinding).

Each request reads run records and runs a few small queries (see
:mod:`pipeline.dashboard.sources`); nothing is cached, so a refresh shows the lake as it is.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from flask import Flask, Response, abort, jsonify, redirect, request, send_file
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, make_server

from pipeline.config import REPO_ROOT
from pipeline.datasets import UnknownDataset
from pipeline.lake import Lake

from .command import DEFAULT_PORT
from .data import DashboardData, SourceFactory

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
STATIC_DIR = Path(__file__).resolve().parent / "static"
NODE_MODULES = REPO_ROOT / "node_modules"
# /vendor/<name> -> file under node_modules/ (the UMD builds, which set window globals)
VENDOR_FILES = {
    "vega.min.js": "vega/build/vega.min.js",
    "vega-lite.min.js": "vega-lite/build/vega-lite.min.js",
    "vega-embed.min.js": "vega-embed/build/vega-embed.min.js",
}
CHARTS_MISSING = "charts off: the chart library is not installed (run `npm ci` in the repo root)"
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
PAGE_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
DATA_DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "frame-ancestors 'self'"
)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def vendor_files(node_modules: Path = NODE_MODULES) -> dict[str, Path] | None:
    """The chart library's files, or None when any is missing (``npm ci`` not run)."""
    files = {name: node_modules / relative for name, relative in VENDOR_FILES.items()}
    return files if all(path.is_file() for path in files.values()) else None


def create_app(data: DashboardData, vendor: Mapping[str, Path] | None = None) -> Flask:
    """The dashboard over ``data``; ``vendor`` as :func:`vendor_files` returns (None: no charts)."""
    app = Flask(__name__, static_folder=None)
    app.url_map.merge_slashes = False  # "/data-docs//etc/x" is refused, not redirected
    static_files = {p.name: p for p in STATIC_DIR.iterdir() if p.suffix in STATIC_TYPES}

    @app.before_request
    def refuse_foreign_hosts() -> Response | None:
        host = (request.host or "").lower()
        name = host if host.endswith("]") else host.rsplit(":", 1)[0]
        if name not in LOOPBACK_NAMES:
            return _text("unknown host\n", 421)
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        data_docs = request.path.startswith("/data-docs/") and response.status_code == 200
        response.headers["Content-Security-Policy"] = DATA_DOCS_CSP if data_docs else PAGE_CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/")
    @app.get("/index.html")
    def page() -> Response:
        return _static(static_files, "index.html")

    @app.get("/static/<name>")
    def static_file(name: str) -> Response:
        return _static(static_files, name)

    @app.get("/vendor/<name>")
    def vendor_file(name: str) -> Response:
        path = (vendor or {}).get(name)
        if path is None:
            return _text(f"{CHARTS_MISSING}\n", 404)
        return send_file(path, mimetype="text/javascript", max_age=0)

    @app.get("/api/datasets")
    def overview() -> Response:
        charts = {"available": True} if vendor else {"available": False, "message": CHARTS_MISSING}
        return jsonify({**data.overview(), "charts": charts})

    @app.get("/api/datasets/<name>")
    def dataset(name: str) -> Response:
        try:
            return jsonify(data.dataset(name))
        except UnknownDataset as error:
            return _json_error(str(error), 404)

    @app.get("/data-docs")
    @app.get("/data-docs/")
    def data_docs_index() -> Response:
        return redirect(data.data_docs_url(), 302)

    @app.get("/data-docs/<path:relative>")
    def data_docs(relative: str) -> Response:
        body = data.data_docs_file(relative)
        if body is None:
            return _text("no such Data Docs page\n", 404)
        content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        return Response(body, content_type=content_type)

    @app.get("/healthz")
    def healthz() -> Response:
        return _text("ok\n")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return _text(f"{(error.name or 'error').lower()}\n", error.code or 500)

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> Response:
        logger.exception("dashboard: %s failed", request.path)
        return _json_error(f"{type(error).__name__}: {error}", 500)

    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    return app


def _static(static_files: dict[str, Path], name: str) -> Response:
    path = static_files.get(name)
    if path is None:
        abort(404)
    return Response(path.read_bytes(), content_type=STATIC_TYPES[path.suffix])


def _text(text: str, status: int = 200) -> Response:
    return Response(text, status=status, content_type="text/plain; charset=utf-8")


def _json_error(message: str, status: int) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def make_dashboard_server(app: Flask, port: int = DEFAULT_PORT) -> BaseWSGIServer:
    """werkzeug's threaded server for ``app`` on ``127.0.0.1:port`` (0: any free port).

    The socket is bound here first so a taken port is an ``OSError`` to report in one line
    (werkzeug itself would print two and exit).
    """
    listener = socket.create_server((HOST, port))
    try:
        server = make_server(
            HOST, listener.getsockname()[1], app, threaded=True, fd=listener.fileno()
        )
    finally:
        listener.close()  # the server holds its own duplicate of the socket
    server.daemon_threads = True  # a slow request never keeps Ctrl-C from ending the process
    return server


def server_url(server: BaseWSGIServer) -> str:
    return f"http://{HOST}:{server.port}/"


def source_for_target(lake: Lake, database: str) -> tuple[SourceFactory, str]:
    """The query source of the configured target, and a line saying where queries run."""
    from pipeline.config import Settings

    settings = Settings.load()
    if settings.target == "aws":
        from .sources import AthenaSource

        def athena() -> AthenaSource:
            return AthenaSource(database, settings.athena_workgroup, settings.aws_region)

        return athena, f"Athena workgroup {settings.athena_workgroup!r} ({settings.aws_region})"
    from .sources import DuckDBSource

    return (lambda: DuckDBSource(lake, database)), "DuckDB over the local catalog"


def serve(
    lake_root: str, port: int = DEFAULT_PORT, database: str | None = None, out: TextIO | None = None
) -> int:
    """Serve the dashboard until Ctrl-C (or SIGTERM); 0 on a clean stop, 1 if it cannot bind."""
    from pipeline.config import ConfigError, Settings

    out = out or sys.stdout
    # Settings may consult Airflow Variables: those of the repo's local Airflow, as
    # ``pipeline run`` uses, unless AIRFLOW_HOME says otherwise.
    os.environ.setdefault("AIRFLOW_HOME", str(REPO_ROOT / ".airflow"))
    lake = Lake(lake_root)
    try:
        database = database or Settings.load().glue_database
        source, where = source_for_target(lake, database)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if lake.is_local and not Path(lake.root).is_dir():
        print(f"note: no lake at {lake.root} yet: datasets will show no runs", file=out)
    vendor = vendor_files()
    if vendor is None:
        print(f"note: {CHARTS_MISSING}", file=out)
    app = create_app(DashboardData(lake, database, source=source), vendor)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not one line per request
    try:
        server = make_dashboard_server(app, port)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else error
        print(f"error: cannot listen on {HOST}:{port}: {reason}", file=sys.stderr)
        return 1
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    print(f"dashboard of lake {lake.root} (catalog database {database!r}; {where})", file=out)
    print(f"serving on {server_url(server)}  (Ctrl-C to stop)", file=out, flush=True)
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
