"""The run record: ``_runs/<dataset>/<date>/run.json``, and the reconciliation check.

Merges the manifest (file verdicts), the job's per-file counts, validation, summaries
and step timings. A run whose counts do not reconcile is recorded as failed:
per file and in total ``rows_read = rows_valid + rows_rejected + rows_duplicate``, and
the rows actually stored equal ``rows_valid`` (processed) and ``rows_rejected``
(quarantine).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pyarrow.dataset as ds

from ..datasets import DATASETS
from ..lake import Lake
from .timing import STEPS, clear_steps, read_steps

log = logging.getLogger(__name__)
COUNT_FIELDS = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")
# Whole-file verdicts that count a file as a duplicate; any other ``reason`` rejects it.
DUPLICATE_REASONS = ("duplicate_file", "superseded")
ENTRY_EXTRAS = ("detail", "duplicate_of", "replaced_by", "invoice_number", "lines")
SUCCESS, FAILED, SKIPPED, RUNNING = "success", "failed", "skipped", "running"


def _read_json(lake: Lake, uri: str) -> dict | None:
    if not lake.fs.exists(uri):
        return None
    with lake.fs.open(uri) as stream:
        return json.load(stream)


def stored_rows(lake: Lake, uri: str) -> int:
    """Rows in a Parquet folder, from the footers (0 when the folder is absent)."""
    if not lake.fs.exists(uri):
        return 0
    dataset = ds.dataset(uri, format="parquet", filesystem=lake.fs, exclude_invalid_files=True)
    return dataset.count_rows()


def file_entries(manifest: dict | None, job_counts: dict | None) -> list[dict]:
    """One entry per manifest file: verdict and checksum, merged with the job's counts."""
    counts = {f["key"]: f for f in (job_counts or {}).get("files", [])}
    entries = []
    for item in (manifest or {}).get("files", []):
        found = counts.get(item["key"], {})
        entry = {"key": item["key"], **{f: int(found.get(f, 0)) for f in COUNT_FIELDS}}
        entry["rejections_by_reason"] = found.get("rejections_by_reason", {})
        if item["status"] != "accepted":
            entry["reason"] = item["status"]
        if found.get("reason"):
            entry["reason"] = found["reason"]
        for extra in ENTRY_EXTRAS:
            if item.get(extra) or found.get(extra):
                entry[extra] = item.get(extra) or found.get(extra)
        entry.update(sha256=item["sha256"], size=item["size"], modified=item["modified"])
        entries.append(entry)
    return entries


def reconciliation_problems(
    record: dict,
    processed_rows: int,
    quarantined_rows: int,
    other_tables: dict[str, tuple[int, int]] | None = None,
) -> list[str]:
    """Every way the record's counts fail to add up (empty when they reconcile).

    ``processed_rows`` are the rows stored in the dataset's first processed table (they
    must equal ``rows_valid``); ``other_tables`` maps each further table (e.g. invoice
    lines) to ``(stored rows, rows the job reported)``.
    """
    problems = []
    for entry in record["files"]:
        parts = entry["rows_valid"] + entry["rows_rejected"] + entry["rows_duplicate"]
        if entry["rows_read"] != parts:
            problems.append(f"{entry['key']}: rows_read {entry['rows_read']} != {parts}")
    totals = record["totals"]
    if (
        totals["rows_read"]
        != totals["rows_valid"] + totals["rows_rejected"] + totals["rows_duplicate"]
    ):
        problems.append("totals do not add up")
    if processed_rows != totals["rows_valid"]:
        problems.append(
            f"processed table holds {processed_rows} rows, expected {totals['rows_valid']}"
        )
    if quarantined_rows != totals["rows_rejected"]:
        problems.append(
            f"quarantine holds {quarantined_rows} rows, expected {totals['rows_rejected']}"
        )
    if sum(record["rejections_by_reason"].values()) != totals["rows_rejected"]:
        problems.append("rejections_by_reason does not sum to rows_rejected")
    for table, (stored, expected) in (other_tables or {}).items():
        if stored != expected:
            problems.append(f"processed table {table} holds {stored} rows, expected {expected}")
    return problems


def build_run_record(lake: Lake, dataset: str, tables: tuple[str, ...], run_date: str) -> dict:
    """Assemble the run record from what the steps left in the run's folder."""
    steps = read_steps(lake, dataset, run_date)
    manifest = _read_json(lake, lake.run_file(dataset, run_date, "manifest.json"))
    job_counts = _read_json(lake, lake.run_file(dataset, run_date, "job_counts.json"))
    files = file_entries(manifest, job_counts)
    totals = {f: sum(e[f] for e in files) for f in COUNT_FIELDS}
    totals.update(
        files=len(files),
        files_rejected=sum(bool(e.get("reason")) for e in files)
        - sum(e.get("reason") in DUPLICATE_REASONS for e in files),
        files_duplicate=sum(e.get("reason") in DUPLICATE_REASONS for e in files),
    )
    totals.update((job_counts or {}).get("totals_extra", {}))
    by_reason: dict[str, int] = {}
    for entry in files:
        for reason, rows in entry["rejections_by_reason"].items():
            by_reason[reason] = by_reason.get(reason, 0) + rows
    # the record step itself is being retried now: its earlier failed attempt does not count
    failed = [s for s in STEPS if s != "run_record" and steps.get(s, {}).get("status") == FAILED]
    skipped = "glue_job" not in steps  # the sensor found nothing (or timed out)
    status = FAILED if failed else SKIPPED if skipped else SUCCESS
    record = {
        "dataset": dataset,
        "logical_date": run_date,
        "status": status,
        "files": files,
        "totals": totals,
        "rejections_by_reason": dict(sorted(by_reason.items())),
        "timings": {s: steps[s]["seconds"] for s in STEPS if "seconds" in steps.get(s, {})},
        "steps": steps,
        "written_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    changed = steps.get("sense_new_files", {}).get("changed_files")
    if changed:  # processed files re-landed since: nothing changes unnoticed
        record["warnings"] = changed
    validation = read_validation(lake, dataset, tables, run_date)
    if validation:
        record["validation"] = validation
    summaries = _read_json(lake, lake.run_file(dataset, run_date, "summaries.json"))
    if summaries:
        record["summaries"] = summaries
    if failed:
        record["error"] = "; ".join(f"{s}: {steps[s].get('error', 'failed')}" for s in failed)
    elif status == SUCCESS:
        # an aggregate is rewritten whole from the history each run: no run rows to reconcile
        aggregates = DATASETS[dataset].aggregates if dataset in DATASETS else ()
        tables = tuple(t for t in tables if t not in aggregates)
        stored = {t: stored_rows(lake, lake.processed_partition(t, run_date)) for t in tables}
        reported = (job_counts or {}).get("rows_valid_by_table") or {}
        others = {t: (stored[t], int(reported.get(t, -1))) for t in tables[1:]}
        quarantined = stored_rows(lake, f"{lake.quarantine_rows(dataset)}/run_date={run_date}")
        problems = reconciliation_problems(record, stored[tables[0]], quarantined, others)
        if problems:
            record.update(status=FAILED, error="counts do not reconcile: " + "; ".join(problems))
    return record


def read_validation(
    lake: Lake, dataset: str, tables: tuple[str, ...], run_date: str
) -> dict | None:
    """The validation verdict of the run: one table's report as is (``validation.json``);
    with several tables, their reports under ``tables`` and ``success`` when all passed."""
    keys = ("success", "statistics", "data_docs")
    reports = {}
    for table in tables:
        report = _read_json(lake, lake.validation_file(dataset, run_date, table))
        if report:
            reports[table] = {k: report.get(k) for k in keys}
    if len(tables) == 1:
        return reports.get(tables[0])
    if not reports:
        return None
    success = len(reports) == len(tables) and all(r.get("success") for r in reports.values())
    return {"success": success, "tables": reports}


def mark_run_started(lake: Lake, dataset: str, run_date: str) -> None:
    """Before a run (or a re-run) of the date changes anything: forget the earlier attempt's
    step results and replace its record with a ``running`` one.

    So a re-run killed half-way never leaves the old ``success`` on disk beside the killed
    attempt's manifest, counts and data: the dashboard shows it as running (or, once the
    command that ran it is gone, as not finished), and the ledger (``trigger_lambda.ledger``),
    which trusts only ``success``, no longer counts the date's files as processed. Only the
    run record step of a finished run writes ``success``. The earlier outcome is kept under
    ``previous`` for whoever wonders what the date said before.
    """
    clear_steps(lake, dataset, run_date)
    uri = lake.run_file(dataset, run_date, "run.json")
    earlier = _read_json(lake, uri) or {}
    if earlier.get("status") == RUNNING:  # a sensor poke again, or a retry: already marked
        return
    record = {
        "dataset": dataset,
        "logical_date": run_date,
        "status": RUNNING,
        "started_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    if earlier:
        record["previous"] = {k: earlier.get(k) for k in ("status", "written_at", "totals")}
    _write_json(lake, uri, record)
    log.info("run %s %s: running (run record reset)", dataset, run_date)


def _write_json(lake: Lake, uri: str, document: dict) -> None:
    """Replace ``uri`` as a whole: readers see the old or the new document, never half."""
    lake.fs.makedirs(uri.rsplit("/", 1)[0], exist_ok=True)
    tmp = uri + ".tmp"
    with lake.fs.open(tmp, "w") as stream:
        json.dump(document, stream, indent=2)
    lake.fs.mv(tmp, uri)


def write_run_record(lake: Lake, record: dict) -> str:
    """Write ``run.json`` (replacing an earlier attempt's) and return its uri."""
    uri = lake.run_file(record["dataset"], record["logical_date"], "run.json")
    _write_json(lake, uri, record)
    totals = record["totals"]
    log.info(
        "run %s %s: %s; files=%d read=%d valid=%d rejected=%d duplicate=%d -> %s",
        record["dataset"],
        record["logical_date"],
        record["status"],
        totals["files"],
        totals["rows_read"],
        totals["rows_valid"],
        totals["rows_rejected"],
        totals["rows_duplicate"],
        uri,
    )
    return uri
