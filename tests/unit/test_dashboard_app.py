"""The dashboard's Flask routes, through Flask's test client, on the sample lake.

The lake is ``build_lake`` of ``tests/unit/test_dashboard_data.py``; the chart library is
a folder of stand-in files (its real files are the browser test's business), or absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from pipeline.dashboard.data import DashboardData
from pipeline.dashboard.server import (
    CHARTS_MISSING,
    VENDOR_FILES,
    create_app,
    make_dashboard_server,
    server_url,
    vendor_files,
)
from pipeline.lake import Lake
from tests.unit.test_dashboard_data import (
    DATABASE,
    TEST_DATASETS,
    VALIDATION_PAGE,
    XSS,
    build_lake,
)


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dashboard-app") / "lake"
    build_lake(root)
    outside = root.parent / "shadow"
    outside.write_text("root:secret")
    docs = root / "data_docs"
    (docs / "shadow.html").symlink_to(outside)  # a link out of the lake
    (docs / "up").symlink_to(root.parent)  # a linked folder out of the lake
    return root


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("node_modules")
    for name, relative in VENDOR_FILES.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(f"/* {name} */")
    return root


@pytest.fixture(scope="module")
def board(lake_dir: Path) -> DashboardData:
    return DashboardData(Lake(str(lake_dir)), DATABASE, TEST_DATASETS)


@pytest.fixture(scope="module")
def client(board: DashboardData, node_modules: Path) -> FlaskClient:
    return create_app(board, vendor_files(node_modules)).test_client()


def test_page_and_static_files(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert b'<script src="/static/app.js"' in response.data
    assert b"http://" not in response.data and b"https://" not in response.data
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-eval';" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200 and asset.mimetype == kind
        assert b"http://" not in asset.data and b"https://" not in asset.data
    assert client.head("/").status_code == 200


def test_chart_library_is_served_from_node_modules(client: FlaskClient) -> None:
    for name in VENDOR_FILES:
        response = client.get(f"/vendor/{name}")
        assert response.status_code == 200 and response.mimetype == "text/javascript"
        assert response.data == f"/* {name} */".encode()
        response.close()
    assert client.get("/vendor/../package.json").status_code == 404
    assert client.get("/vendor/d3.js").status_code == 404
    assert client.get("/api/datasets").get_json()["charts"] == {"available": True}


def test_without_node_modules_the_page_says_so_and_still_answers(
    board: DashboardData, tmp_path: Path
) -> None:
    assert vendor_files(tmp_path) is None
    client = create_app(board, vendor_files(tmp_path)).test_client()
    charts = client.get("/api/datasets").get_json()["charts"]
    assert charts == {"available": False, "message": CHARTS_MISSING}
    missing = client.get("/vendor/vega.min.js")
    assert missing.status_code == 404 and b"npm ci" in missing.data
    assert client.get("/api/datasets/orders").status_code == 200  # the tables still load


def test_json_endpoints(client: FlaskClient) -> None:
    overview = client.get("/api/datasets")
    assert overview.status_code == 200 and overview.mimetype == "application/json"
    assert [d["name"] for d in overview.get_json()["datasets"]] == ["orders", "widgets"]
    orders = client.get("/api/datasets/orders")
    detail = orders.get_json()
    assert detail["name"] == "orders"
    charts = {s["name"]: s["chart"] for s in detail["summaries"]}
    assert charts["sales_by_customer"]["spec"]["layer"][0]["mark"]["type"] == "bar"
    assert charts["revenue_by_month"]["spec"]["mark"]["type"] == "line"
    assert charts["average_order_value"]["spec"] is None
    # Markup in values is kept verbatim: JSON, not HTML (the page sets it as text).
    labels = [p["label"] for p in charts["sales_by_customer"]["spec"]["data"]["values"]]
    assert labels[0] == XSS
    json.loads(orders.data)  # no NaN
    unknown = client.get("/api/datasets/nope")
    assert unknown.status_code == 404 and "unknown dataset" in unknown.get_json()["error"]


def test_data_docs_serves_regular_files_inside_data_docs_only(client: FlaskClient) -> None:
    page = client.get("/data-docs/" + VALIDATION_PAGE)
    assert page.status_code == 200 and b"validation of 2024-03-02" in page.data
    assert page.mimetype == "text/html"
    assert "'unsafe-inline'" in page.headers["Content-Security-Policy"]  # GX's own scripts
    index = client.get("/data-docs/", follow_redirects=True)
    assert index.status_code == 200 and b"Data Docs" in index.data
    for refused in (
        "/data-docs/shadow.html",  # symlink to a file outside the lake
        "/data-docs/up/shadow",  # through a symlinked folder
        "/data-docs/expectations",  # a folder
        "/data-docs/../_runs/secret.txt",
        "/data-docs/..%2F_runs%2Fsecret.txt",
        "/data-docs/%2Fetc%2Fpasswd",
        "/data-docs/missing.html",
    ):
        response = client.get(refused)
        assert response.status_code == 404, refused
        assert b"secret" not in response.data


def test_refusals(client: FlaskClient) -> None:
    assert client.get("/static/../data.py").status_code == 404
    assert client.get("/static/index.html.bak").status_code == 404
    nowhere = client.get("/nowhere")
    assert nowhere.status_code == 404 and nowhere.data == b"not found\n"
    assert client.post("/api/datasets").status_code == 405
    rebound = client.get("/", headers={"Host": "attacker.example:80"})  # DNS rebinding
    assert rebound.status_code == 421 and b"<script" not in rebound.data
    assert client.get("/healthz", headers={"Host": "localhost:8050"}).data == b"ok\n"


def test_a_failing_request_answers_json_500(board: DashboardData, monkeypatch) -> None:
    def broken(name: str) -> dict:
        raise RuntimeError("lake unreadable")

    monkeypatch.setattr(board, "dataset", broken)
    response = create_app(board, None).test_client().get("/api/datasets/orders")
    assert response.status_code == 500
    assert response.get_json() == {"error": "RuntimeError: lake unreadable"}


def test_server_binds_loopback_on_a_free_port(board: DashboardData) -> None:
    server = make_dashboard_server(create_app(board, None), port=0)
    try:
        assert server.server_address[0] == "127.0.0.1" and server.port > 0
        assert server_url(server) == f"http://127.0.0.1:{server.port}/"
        with pytest.raises(OSError):  # the port is taken: an error to report, no exit
            make_dashboard_server(create_app(board, None), port=server.port)
    finally:
        server.server_close()
