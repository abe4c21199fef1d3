"""Plain-text rendering of a run for the terminal: counts, reasons, where things are."""

from __future__ import annotations

import pyarrow.dataset as pads

from .datasets import get_dataset
from .lake import Lake

PREVIEW_ROWS = 5


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("    " + line for line in lines)


def summary_preview(lake: Lake, dataset: str, summary: str) -> str:
    """The first rows of one enriched summary, as an aligned text table."""
    uri = lake.enriched(dataset, summary)
    if not lake.fs.exists(uri):
        return "    (not written)"
    table = pads.dataset(uri, format="parquet", filesystem=lake.fs).head(PREVIEW_ROWS)
    rows = [table.column_names]
    for record in table.to_pylist():
        rows.append(["" if v is None else str(v) for v in record.values()])
    return _table(rows)


def render_run(record: dict, lake: Lake) -> str:
    """What happened in one run, and where its outputs are."""
    dataset, day = record["dataset"], record["logical_date"]
    lines = [f"\n== {dataset} {day}: {record['status'].upper()}"]
    if record.get("error"):
        lines.append(f"   error: {record['error']}")
    totals = record.get("totals") or {}
    if totals.get("files"):
        lines.append(
            f"   files {totals['files']} (bad {totals['files_rejected']}, "
            f"duplicate {totals['files_duplicate']}); rows read {totals['rows_read']}, "
            f"valid {totals['rows_valid']}, rejected {totals['rows_rejected']}, "
            f"duplicate {totals['rows_duplicate']}"
        )
    if record.get("rejections_by_reason"):
        reasons = ", ".join(f"{k} {v}" for k, v in record["rejections_by_reason"].items())
        lines.append(f"   rejections: {reasons}")
    for entry in record.get("files", []):
        if entry.get("reason"):
            lines.append(f"   {entry['reason']}: {entry['key']} {entry.get('detail', '')}".rstrip())
    for warning in record.get("warnings", []):
        lines.append(
            f"   warning: {warning['key']} {warning['detail']} (sha256 then "
            f"{warning['processed_sha256'][:12]}, now {warning['current_sha256'][:12]})"
        )
    if record.get("timings"):
        timing = ", ".join(f"{k} {v:.1f}s" for k, v in record["timings"].items())
        lines.append(f"   timings: {timing}")
    lines.append(f"   run record: {lake.run_file(dataset, day, 'run.json')}")
    if record["status"] == "success":
        spec = get_dataset(dataset)
        for table in spec.tables:
            lines.append(f"   processed:  {lake.processed(table)}")
        lines.append(f"   quarantine: {lake.uri('quarantine', dataset)}")
        lines.append(f"   data docs:  {lake.data_docs()}/index.html")
        for summary in spec.summaries:
            lines.append(f"   enriched/{dataset}/{summary}:")
            lines.append(summary_preview(lake, dataset, summary))
    return "\n".join(lines)
