"""The dashboard in a real headless Chromium, driven over the DevTools protocol.

The server runs in a thread against the sample lake of ``tests/unit/test_dashboard_data.py``
(Parquet made with pyarrow, crawled, summarised by the real Athena step: no Spark). The
browser loads the page, the test waits for the page's scripts to finish rendering, then
checks the DOM against the data: one SVG bar per chart point, one line point per value,
one table row per summary row and per run, the counts, the Data Docs links, that a
customer id carrying markup shows as text, that nothing was requested from anywhere but
the dashboard, and that no script error happened. It also saves a full-page screenshot
(``DASHBOARD_SCREENSHOT=path.png`` keeps a copy). Chromium is Debian's ``chromium``
package; without it the test skips (and fails under CI, where bootstrap installs it).

A second test runs ``pipeline dashboard --port 0`` as a process and stops it with Ctrl-C.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from pipeline.dashboard.charts import TOP_N
from pipeline.dashboard.data import DashboardData
from pipeline.dashboard.server import DashboardServer
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

# Everything the test reads from the rendered page, in one evaluation.
DOM_REPORT = """(() => {
  const q = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const banner = document.getElementById("error");
  return {
    state: document.body.dataset.state,
    error: banner.hidden ? null : banner.textContent,
    headerDocs: document.getElementById("data-docs-link").getAttribute("href"),
    images: document.images.length,
    xss: window.__xss === 1,
    datasets: q("section.dataset").map((s) => ({
      name: s.dataset.dataset,
      kpis: Object.fromEntries(
        q(".kpis .kpi", s).map((k) => [k.dataset.field, Number(k.dataset.value)])),
      rejectionBars: q("[data-card=rejections] svg rect.bar", s).map(
        (r) => [r.dataset.label, Number(r.dataset.value)]),
      fileRows: q(".files-table tbody tr", s).map((tr) => q("td", tr).map((td) => td.textContent)),
      noRuns: s.querySelector(".no-runs") !== null,
      summaries: q(".card.summary", s).map((c) => ({
        name: c.dataset.summary,
        kind: c.dataset.chartKind,
        svgs: q("svg", c).length,
        svgPoints: q("svg", c).map((g) => Number(g.dataset.points)),
        bars: q("svg rect.bar", c).map((r) => r.dataset.label),
        points: q("svg circle.point", c).map((p) => p.dataset.label),
        line: q("svg path.line", c).length,
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
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dashboard-browser") / "lake"
    build_lake(root)
    return root


@pytest.fixture(scope="module")
def dashboard(lake_dir: Path) -> Iterator[DashboardServer]:
    from pipeline.lake import Lake

    server = DashboardServer(DashboardData(Lake(str(lake_dir)), DATABASE, TEST_DATASETS), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def page(
    chromium: str, dashboard: DashboardServer, tmp_path_factory: pytest.TempPathFactory
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
        devtools.call("Page.navigate", url=dashboard.url)
        deadline = time.monotonic() + 30
        while devtools.evaluate("document.body ? document.body.dataset.state : null") != "ready":
            state = devtools.evaluate("document.body ? document.body.dataset.state : null")
            banner = "document.getElementById('error').textContent"
            assert state != "error", devtools.evaluate(banner)
            assert time.monotonic() < deadline, f"the page did not finish rendering (state {state})"
            time.sleep(0.2)
        yield devtools.evaluate(DOM_REPORT), devtools
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
    assert sales["kind"] == "bar" and sales["svgPoints"] == [TOP_N]
    assert sales["bars"] == [r["customer_id"] for r in top]
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


def test_data_docs_links_work(page: tuple[dict, DevTools], dashboard: DashboardServer) -> None:
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
    page: tuple[dict, DevTools], dashboard: DashboardServer
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
