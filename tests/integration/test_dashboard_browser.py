"""The dashboard in a real headless Chromium, driven over the DevTools protocol.

The Flask app runs on werkzeug's server in a thread against the sample lake of
``tests/unit/test_dashboard_data.py`` (Parquet made with pyarrow, crawled, summarised by
the real Athena step: no Spark), with the real Vega/Vega-Lite/vega-embed from
``node_modules/``. The browser loads the page, the test waits until the page's scripts and
every vega-embed chart have rendered, then checks the DOM against the data: one Vega bar
mark per chart point, one line point per value, one table row per summary row and per run,
the counts, the Data Docs links, that a customer id carrying markup shows as text, that
nothing was requested from anywhere but the dashboard, and that no script error happened.
A screenshot of each chart's region (PNG decoded here) must hold pixels of its marks'
colour, so a chart that draws axes but no bars or line fails; a full-page screenshot is
saved too (``DASHBOARD_SCREENSHOT=path.png`` keeps a copy). Chromium is Debian's
``chromium`` package and the chart library comes from ``npm ci``; without either the test
skips (and fails under CI, where bootstrap installs both). Without the chart library the
page says so in one line and still shows its tables (checked last, on a second server).

A second test runs ``pipeline dashboard --port 0`` as a process and stops it with Ctrl-C.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from werkzeug.serving import BaseWSGIServer

from pipeline.dashboard.charts import ACCENT, BAD, TOP_N
from pipeline.dashboard.data import DashboardData
from pipeline.dashboard.server import (
    CHARTS_MISSING,
    create_app,
    make_dashboard_server,
    server_url,
    vendor_files,
)
from pipeline.datasets import DATASETS
from tests.unit.test_dashboard_data import (
    DATABASE,
    RUNS,
    TEST_DATASETS,
    VALIDATION_PAGE,
    XSS,
    build_lake,
    expected_rows,
)

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1400,1000",
)
INSTALL_HINT = "apt-get update && apt-get install -y chromium"
MIN_MARK_PIXELS = 40  # pixels of a chart's mark colour its screenshot must hold at least

# Everything the test reads from the rendered page, in one evaluation.
DOM_REPORT = """(() => {
  const q = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  // Vega's SVG marks carry "<field title>: <value>; ..." in aria-label.
  const aria = (node) => node.getAttribute("aria-label") || "";
  const bars = (root) => (root ? q("g.mark-rect.role-mark path", root) : []).map((m) => {
    const [value, label] = aria(m).split("; label: ");
    return [label, Number(value.split(": ").pop())];
  });
  const dots = (root) => q("g.mark-symbol.role-mark path", root).map(
    (m) => aria(m).slice(aria(m).indexOf(": ") + 2, aria(m).lastIndexOf("; ")));
  const banner = document.getElementById("error");
  return {
    state: document.body.dataset.state,
    error: banner.hidden ? null : banner.textContent,
    headerDocs: document.getElementById("data-docs-link").getAttribute("href"),
    images: document.images.length,
    chartsNote: document.getElementById("charts-note").hidden
      ? null : document.getElementById("charts-note").textContent,
    charts: q(".chart").map((c) => {
      const r = c.getBoundingClientRect();
      return { name: c.dataset.chart, x: r.left + window.scrollX, y: r.top + window.scrollY,
               width: r.width, height: r.height };
    }),
    xss: window.__xss === 1,
    datasets: q("section.dataset").map((s) => ({
      name: s.dataset.dataset,
      kpis: Object.fromEntries(
        q(".kpis .kpi", s).map((k) => [k.dataset.field, Number(k.dataset.value)])),
      rejectionBars: bars(s.querySelector("[data-card=rejections]")),
      fileRows: q(".files-table tbody tr", s).map((tr) => q("td", tr).map((td) => td.textContent)),
      noRuns: s.querySelector(".no-runs") !== null,
      summaries: q(".card.summary", s).map((c) => ({
        name: c.dataset.summary,
        kind: c.dataset.chartKind,
        svgs: q(".chart svg", c).length,
        rendered: q(".chart[data-rendered]", c).length,
        bars: bars(c).map(([label]) => label),
        points: dots(c),
        line: q("g.mark-line.role-mark path", c).length,
        rows: q(".summary-table tbody tr", c).length,
        firstCells: q(".summary-table tbody tr:first-child td", c).map((td) => td.textContent),
        figures: q(".kpi-figures .kpi", c).length,
        empty: c.querySelector(".empty") !== null,
      })),
      runs: q(".runs-table tbody tr", s).map((tr) => ({
        date: tr.dataset.date,
        status: tr.dataset.status,
        cells: q("td", tr).map((td) => td.textContent),
        links: q("a", tr).map((a) => a.getAttribute("href")),
      })),
      runErrors: q(".run-error", s).map((e) => e.textContent),
      pastErrors: q(".past-errors li", s).map((e) => e.textContent),
      docsLinks: q(".docs-line a", s).map((a) => a.getAttribute("href")),
      catalog: q(".catalog-table tbody td", s).map((td) => td.textContent),
    })),
  };
})()"""


def find_chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM_BIN"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self._stack = ExitStack()
        self.socket = self._stack.enter_context(connect(ws_url, max_size=None, open_timeout=10))
        self.events: list[dict] = []
        self._next_id = 0

    def call(self, method: str, timeout: float = 30, **params) -> dict:
        self._next_id += 1
        message_id = self._next_id
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        message = f"Chromium is not installed ({INSTALL_HINT})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def vendor() -> dict[str, Path]:
    files = vendor_files()
    if files is None:
        message = "the chart library is not in node_modules/ (run `npm ci` in the repo root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return files


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dashboard-browser") / "lake"
    build_lake(root)
    return root


class Dashboard:
    """A dashboard served in a thread; ``url`` as the command prints it."""

    def __init__(self, lake_dir: Path, vendor: dict[str, Path] | None) -> None:
        from pipeline.lake import Lake

        board = DashboardData(Lake(str(lake_dir)), DATABASE, TEST_DATASETS)
        self.server: BaseWSGIServer = make_dashboard_server(create_app(board, vendor), port=0)
        self.url = server_url(self.server)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def dashboard(lake_dir: Path, vendor: dict[str, Path]) -> Iterator[Dashboard]:
    served = Dashboard(lake_dir, vendor)
    yield served
    served.stop()


@pytest.fixture(scope="module")
def page(
    chromium: str, dashboard: Dashboard, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict, DevTools]]:
    """The loaded page's DOM report, and the DevTools session (events collected)."""
    workdir = tmp_path_factory.mktemp("chromium")
    profile = workdir / "profile"
    log = (workdir / "chromium.log").open("wb")
    process = subprocess.Popen(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    devtools = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert process.poll() is None, (workdir / "chromium.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.load(response)
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        devtools = DevTools(ws_url)
        for domain in ("Page", "Runtime", "Network", "Log"):
            devtools.call(f"{domain}.enable")
        yield load_page(devtools, dashboard.url), devtools
    finally:
        if devtools is not None:
            devtools.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def load_page(devtools: DevTools, url: str) -> dict:
    """Open ``url`` and wait until its scripts (and charts) are done; the DOM report."""
    devtools.call("Page.navigate", url=url)
    deadline = time.monotonic() + 30
    while devtools.evaluate("document.body ? document.body.dataset.state : null") != "ready":
        state = devtools.evaluate("document.body ? document.body.dataset.state : null")
        banner = "document.getElementById('error').textContent"
        assert state != "error", devtools.evaluate(banner)
        assert time.monotonic() < deadline, f"the page did not finish rendering (state {state})"
        time.sleep(0.2)
    return devtools.evaluate(DOM_REPORT)


def png_rgb(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    position, chunks, header = 8, [], None
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind, body = png[position + 4 : position + 8], png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b"".join(chunks))
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, up_left = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - up_left
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - up_left)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + best) & 0xFF
        previous = line
        rgb = line if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3)
        rows.append(bytes(rgb))
    return width, height, rows


def count_colour(png: bytes, hex_colour: str, tolerance: int = 24) -> int:
    """Pixels within ``tolerance`` (per channel) of ``hex_colour``."""
    target = bytes.fromhex(hex_colour.lstrip("#"))
    _, _, rows = png_rgb(png)
    return sum(
        1
        for row in rows
        for i in range(0, len(row), 3)
        if all(abs(row[i + c] - target[c]) <= tolerance for c in range(3))
    )


def _dataset(report: dict, name: str) -> dict:
    return next(d for d in report["datasets"] if d["name"] == name)


def _summary(dataset: dict, name: str) -> dict:
    return next(s for s in dataset["summaries"] if s["name"] == name)


def test_page_renders_every_dataset(page: tuple[dict, DevTools]) -> None:
    report, _ = page
    assert report["state"] == "ready" and report["error"] is None
    assert [d["name"] for d in report["datasets"]] == ["orders", "widgets"]
    assert report["headerDocs"] == "/data-docs/index.html"


def test_summary_charts_have_one_mark_per_data_point(
    page: tuple[dict, DevTools], lake_dir: Path
) -> None:
    orders = _dataset(page[0], "orders")
    customers = expected_rows(lake_dir, "orders", "sales_by_customer").to_pylist()
    top = sorted(customers, key=lambda r: (-r["revenue"], r["customer_id"]))[:TOP_N]
    sales = _summary(orders, "sales_by_customer")
    assert sales["kind"] == "bar" and sales["svgs"] == 1 and sales["rendered"] == 1
    assert sales["bars"] == [r["customer_id"] for r in top]
    assert len(sales["bars"]) == TOP_N
    assert sales["rows"] == len(customers)

    months = expected_rows(lake_dir, "orders", "revenue_by_month").to_pylist()
    revenue = _summary(orders, "revenue_by_month")
    assert revenue["kind"] == "line" and revenue["line"] == 1
    assert revenue["points"] == [r["order_month"] for r in months]
    assert revenue["rows"] == len(months)

    statuses = expected_rows(lake_dir, "orders", "status_summary").to_pylist()
    status = _summary(orders, "status_summary")
    assert status["bars"] == [r["status"] for r in statuses]
    assert status["rows"] == len(statuses)

    aov = _summary(orders, "average_order_value")
    assert aov["kind"] == "kpi" and aov["svgs"] == 0 and aov["figures"] == 3 and aov["rows"] == 1


def test_latest_run_counts_reasons_files_and_runs_table(page: tuple[dict, DevTools]) -> None:
    orders = _dataset(page[0], "orders")
    latest = RUNS["2024-03-02"]
    assert orders["kpis"] == latest["totals"]
    reasons = sorted(latest["rejections_by_reason"].items(), key=lambda kv: (-kv[1], kv[0]))
    assert orders["rejectionBars"] == [list(kv) for kv in reasons]
    assert [row[0] for row in orders["fileRows"]] == [f["key"] for f in latest["files"]]
    assert orders["fileRows"][1][-1] == "bad_file"
    assert [(r["date"], r["status"]) for r in orders["runs"]] == [
        ("2024-03-02", "success"),
        ("2024-03-01", "failed"),
        ("2024-02-28", "unreadable"),
    ]
    first = orders["runs"][0]
    assert first["cells"][2:9] == ["9", "2", "6", "1", "2", "1", "0"]  # read … dup. files
    assert "12.5 s" in first["cells"] and "30.3 s" in first["cells"]  # glue_job, validate
    assert first["links"] == ["/data-docs/" + VALIDATION_PAGE]
    assert orders["catalog"][:4] == ["lake.orders", "12", "2", "17"]


def test_data_docs_links_work(page: tuple[dict, DevTools], dashboard: Dashboard) -> None:
    orders = _dataset(page[0], "orders")
    assert orders["docsLinks"] == [
        "/data-docs/index.html",
        "/data-docs/expectations/orders.html",
        "/data-docs/" + VALIDATION_PAGE,
    ]
    for link in orders["docsLinks"]:
        with urllib.request.urlopen(dashboard.url.rstrip("/") + link, timeout=10) as response:
            assert response.status == 200 and b"<html>" in response.read()


def test_dataset_without_runs_and_generic_charts(page: tuple[dict, DevTools]) -> None:
    widgets = _dataset(page[0], "widgets")
    assert widgets["noRuns"] and widgets["runs"] == [] and widgets["kpis"] == {}
    by_colour = _summary(widgets, "by_colour")
    assert by_colour["kind"] == "bar" and by_colour["bars"] == ["red", "blue", "green"]
    daily = _summary(widgets, "daily")  # a missing value is a gap, not a point
    assert daily["kind"] == "line" and daily["points"] == ["2024-03-01", "2024-03-03"]
    missing = _summary(widgets, "not_published")
    assert missing["empty"] and missing["svgs"] == 0
    assert widgets["catalog"][-1] == "not crawled yet"


def test_values_from_files_are_shown_as_text(page: tuple[dict, DevTools]) -> None:
    report, _ = page
    orders = _dataset(report, "orders")
    assert report["images"] == 0 and not report["xss"]
    assert _summary(orders, "sales_by_customer")["bars"][0] == XSS
    assert XSS in [label for label, _ in orders["rejectionBars"]]
    assert orders["runErrors"] == []  # the latest run succeeded
    assert orders["pastErrors"][0] == "2024-03-01 failed: athena_summaries: <b>boom</b>"


def test_nothing_loaded_from_the_network_and_no_script_errors(
    page: tuple[dict, DevTools], dashboard: Dashboard
) -> None:
    _, devtools = page
    requested = [
        e["params"]["request"]["url"]
        for e in devtools.events
        if e["method"] == "Network.requestWillBeSent"
    ]
    assert dashboard.url in requested
    assert {u for u in requested if not u.startswith((dashboard.url, "data:"))} == set()
    errors = [
        e
        for e in devtools.events
        if e["method"] == "Runtime.exceptionThrown"
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
    ]
    assert errors == []


def test_each_chart_draws_its_marks_in_a_screenshot(page: tuple[dict, DevTools]) -> None:
    """A screenshot of each chart's region holds pixels of its marks' colour."""
    report, devtools = page
    charts = report["charts"]
    # the latest run's rejections, 3 orders summaries, 2 widgets ones (not the figures)
    assert sorted(c["name"].split(":")[0] for c in charts) == [
        "by_colour",
        "daily",
        "rejections by reason",
        "revenue_by_month",
        "sales_by_customer",
        "status_summary",
    ]
    colours = {"rejections by reason": BAD}
    for chart in charts:
        assert chart["width"] > 100 and chart["height"] > 40, chart
        shot = devtools.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={
                "x": chart["x"],
                "y": chart["y"],
                "width": chart["width"],
                "height": chart["height"],
                "scale": 1,
            },
        )
        png = base64.b64decode(shot["data"])
        marks = count_colour(png, colours.get(chart["name"], ACCENT))
        assert marks >= MIN_MARK_PIXELS, f"{chart['name']}: {marks} pixels of its marks"


def test_screenshot(page: tuple[dict, DevTools], tmp_path: Path) -> None:
    _, devtools = page
    size = devtools.call("Page.getLayoutMetrics")["cssContentSize"]
    shot = devtools.call(
        "Page.captureScreenshot",
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    )
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    (tmp_path / "dashboard.png").write_bytes(png)
    if os.environ.get("DASHBOARD_SCREENSHOT"):
        Path(os.environ["DASHBOARD_SCREENSHOT"]).write_bytes(png)


def test_without_the_chart_library_the_page_says_so_and_shows_the_tables(
    page: tuple[dict, DevTools], lake_dir: Path
) -> None:
    """Runs after the other page tests: it navigates the shared browser elsewhere."""
    _, devtools = page
    bare = Dashboard(lake_dir, vendor=None)
    try:
        events_before = len(devtools.events)
        report = load_page(devtools, bare.url)
    finally:
        bare.stop()
    assert report["chartsNote"] == f"{CHARTS_MISSING}; the tables below are complete."
    assert report["charts"] == [] and report["error"] is None
    orders = _dataset(report, "orders")
    assert _summary(orders, "sales_by_customer")["rows"] > TOP_N  # every table is there
    assert orders["runs"] and orders["catalog"][:1] == ["lake.orders"]
    requested = [
        e["params"]["request"]["url"]
        for e in devtools.events[events_before:]
        if e["method"] == "Network.requestWillBeSent"
    ]
    assert not [u for u in requested if "/vendor/" in u]  # not even tried


def test_command_serves_and_stops_on_ctrl_c(lake_dir: Path) -> None:
    """``pipeline dashboard --port 0`` prints its URL, answers, and exits 0 on Ctrl-C."""
    env = {**os.environ, "PIPELINE_SKIP_AIRFLOW_VARIABLES": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "dashboard", "--lake", str(lake_dir), "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "serving on " in line:
                break
        url = lines[-1].split("serving on ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/datasets", timeout=30) as response:
            names = [d["name"] for d in json.load(response)["datasets"]]
        assert names == list(DATASETS)  # the real registry
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "dashboard stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
