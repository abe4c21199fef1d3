"""The invoices dataset's plumbing without Spark: generator, preflight of text files,
per-table validation reports, the run record, the DAG's steps and the aws connection."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
from glue_lib import layout
from oracle.invoices_oracle import judge_bytes
from trigger_lambda.events import build_event
from trigger_lambda.handler import handler

from pipeline.config import REPO_ROOT
from pipeline.datasets import get_dataset
from pipeline.generate.invoices import generate_invoices
from pipeline.lake import Lake, validation_file_name
from pipeline.steps.run_record import build_run_record, read_validation

DAY = date(2024, 3, 1)


def test_generator_is_deterministic_and_covers_every_reason(tmp_path):
    first = generate_invoices(str(tmp_path / "a"), DAY, rows=40, files=3, seed=9, bad_files=3)
    again = generate_invoices(str(tmp_path / "b"), DAY, rows=40, files=3, seed=9, bad_files=3)
    assert first == again and len(first) == 43
    for key in first:
        assert (tmp_path / "a" / key).read_bytes() == (tmp_path / "b" / key).read_bytes()
    assert {k.split("/")[3] for k in first} == {"upload-1", "upload-2", "upload-3"}
    verdicts = {key: judge_bytes((tmp_path / "a" / key).read_bytes()) for key in first}
    reasons = Counter(v.reason for v in verdicts.values())
    assert set(reasons) >= {
        None,
        "missing_field",
        "bad_date",
        "bad_amount",
        "total_mismatch",
        "no_items",
        "unparseable",
    }
    numbers = Counter(v.invoice.invoice_number for v in verdicts.values() if v.invoice)
    assert any(count > 1 for count in numbers.values()), "no re-sent invoice number"
    assert any("-20240229-" in n for n in numbers), "no update of the previous day's invoices"
    raw = [(tmp_path / "a" / k).read_bytes() for k in first]
    assert any(r.startswith(b"\xef\xbb\xbf") for r in raw) and any(b"\r\n" in r for r in raw)
    assert any(b"#" in r for r in raw)


def test_preflight_accepts_text_invoices_and_refuses_unreadable_ones(lake_root):
    keys = generate_invoices(str(lake_root), DAY, rows=2, files=1, bad_files=3)
    (lake_root / f"raw/invoices/dt={DAY}/notes.csv").write_text("not an invoice")
    response = handler(build_event(str(lake_root), "invoices", str(DAY), keys))
    assert response["ok"], response
    manifest = json.loads((lake_root / f"_runs/invoices/{DAY}/manifest.json").read_text())
    status = {f["key"].rsplit("/", 1)[1]: (f["status"], f.get("detail")) for f in manifest["files"]}
    assert [s for s, _ in status.values()].count("accepted") == 2
    assert status["bad_001_scan.txt"][0] == "bad_file"
    assert "UTF-8" in status["bad_002_latin1.txt"][1]
    assert status["bad_003_empty.txt"] == ("bad_file", "empty file")
    quarantined = lake_root / f"quarantine/invoices/files/run_date={DAY}/dt={DAY}/upload-1"
    assert sorted(p.name for p in quarantined.iterdir()) == [
        "bad_001_scan.txt",
        "bad_002_latin1.txt",
        "bad_003_empty.txt",
    ]


def test_validation_reports_are_per_table_when_the_table_is_not_the_dataset():
    for dataset, table, name in (
        ("orders", "orders", "validation.json"),
        ("invoices", "invoices", "validation.json"),
        ("invoices", "invoice_lines", "validation_invoice_lines.json"),
    ):
        assert validation_file_name(dataset, table) == name
        assert layout.validation_file_name(dataset, table) == name
    assert Lake("/lake").validation_file("invoices", "2024-03-01", "invoice_lines") == (
        layout.run_file("/lake", "invoices", "2024-03-01", "validation_invoice_lines.json")
    )
    key = "raw/invoices/dt=2024-03-01/a/b.txt"
    assert layout.quarantine_file("/lake", "invoices", "2024-03-01", key) == (
        "/lake/quarantine/invoices/files/run_date=2024-03-01/dt=2024-03-01/a/b.txt"
    )


def _write(lake_root, name, body):
    path = lake_root / "_runs" / "invoices" / "2024-03-01" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body))


def test_run_record_reads_both_validation_shapes(lake_root):
    lake = Lake(str(lake_root))
    tables = ("invoices", "invoice_lines")
    assert read_validation(lake, "invoices", tables, "2024-03-01") is None
    _write(lake_root, "validation.json", {"success": True, "statistics": {"a": 1}, "x": 2})
    assert read_validation(lake, "invoices", ("invoices",), "2024-03-01") == {
        "success": True,
        "statistics": {"a": 1},
        "data_docs": None,
    }
    partial = read_validation(lake, "invoices", tables, "2024-03-01")
    assert partial["success"] is False and set(partial["tables"]) == {"invoices"}
    _write(lake_root, "validation_invoice_lines.json", {"success": True})
    assert read_validation(lake, "invoices", tables, "2024-03-01")["success"] is True


def test_run_record_reconciles_files_and_each_table(lake_root):
    _write(
        lake_root,
        "manifest.json",
        {"files": [{"key": "k1", "status": "accepted", "sha256": "x", "size": 1, "modified": 0}]},
    )
    counts = {
        "files": [
            {
                "key": "k1",
                "rows_read": 1,
                "rows_valid": 0,
                "rows_rejected": 0,
                "rows_duplicate": 1,
                "reason": "superseded",
                "replaced_by": "k2",
            }
        ],
        "totals_extra": {"files_valid": 0, "lines_valid": 3},
        "rows_valid_by_table": {"invoices": 0, "invoice_lines": 3},
    }
    _write(lake_root, "job_counts.json", counts)
    _write(lake_root, "steps/glue_job.json", {"status": "success", "seconds": 1.0})
    record = build_run_record(
        Lake(str(lake_root)), "invoices", ("invoices", "invoice_lines"), "2024-03-01"
    )
    assert record["status"] == "failed"  # the line table holds 0 rows, 3 were reported
    assert "processed table invoice_lines holds 0 rows, expected 3" in record["error"]
    assert record["totals"]["files_duplicate"] == 1 and record["totals"]["files_rejected"] == 0
    assert record["totals"]["lines_valid"] == 3
    assert record["files"][0]["replaced_by"] == "k2"


def test_only_datasets_with_a_database_sink_get_the_load_step():
    assert get_dataset("invoices").extra_steps == ("load_postgres",)
    assert get_dataset("orders").extra_steps == ()


def test_the_invoices_dag_loads_postgres_beside_the_summaries(monkeypatch):
    import runpy

    monkeypatch.setenv("PIPELINE_TARGET", "local")
    dag = runpy.run_path(str(REPO_ROOT / "dags" / "invoices_pipeline.py"))["dag"]
    upstream = {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}
    assert upstream["load_postgres"] == ["validate"]
    assert upstream["crawl"] == ["validate"]
    assert upstream["run_record"] == ["athena_summaries", "load_postgres"]
    assert len(upstream) == 8


def test_aws_database_url_comes_from_the_setting_or_the_rds_secret(monkeypatch):
    from pipeline.config import ConfigError, Settings
    from pipeline.orchestration import aws_postgres

    settings = Settings(target="aws", lake_root="s3://bucket")
    resolve = aws_postgres.database_url_resolver("invoices", settings)
    monkeypatch.setenv("PIPELINE_INVOICES_DB_URL", "postgresql://u@h/db")
    assert resolve() == "postgresql://u@h/db"
    monkeypatch.delenv("PIPELINE_INVOICES_DB_URL")
    with pytest.raises(ConfigError, match="PIPELINE_INVOICES_DB_HOST"):
        resolve()

    class FakeHook:
        def __init__(self, **kwargs):
            assert kwargs == {"aws_conn_id": "aws_default", "region_name": "eu-west-1"}

        def get_secret_as_dict(self, arn):
            assert arn == "arn:secret"
            return {"username": "admin", "password": "p@ss word"}

    import airflow.providers.amazon.aws.hooks.secrets_manager as secrets

    monkeypatch.setattr(secrets, "SecretsManagerHook", FakeHook)
    monkeypatch.setenv("PIPELINE_INVOICES_DB_HOST", "db.internal")
    monkeypatch.setenv("PIPELINE_INVOICES_DB_SECRET_ARN", "arn:secret")
    from psycopg.conninfo import conninfo_to_dict

    assert conninfo_to_dict(resolve()) == {
        "host": "db.internal",
        "port": "5432",
        "dbname": "pipeline",
        "user": "admin",
        "password": "p@ss word",
        "sslmode": "require",
    }
    with pytest.raises(ConfigError, match="s3://"):
        aws_postgres.load_postgres("invoices", Settings(target="aws", lake_root="/tmp/lake"))
