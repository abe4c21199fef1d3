"""Per-file counts of a job run, assembled from small aggregates (never the rows)."""

from __future__ import annotations

from collections import defaultdict

COUNT_FIELDS = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")


def assemble_counts(
    keys: list[str],
    per_file: list[dict],
    per_reason: list[dict],
    file_errors: dict[str, str],
) -> dict:
    """Counts for every read file's key (zeros where a file had no data rows) and totals."""
    counts = {row["source_key"]: row for row in per_file}
    reasons: dict[str, dict[str, int]] = defaultdict(dict)
    for row in per_reason:
        reasons[row["source_key"]][row["reason"]] = int(row["rows"])
    files = []
    for key in keys:
        found = counts.get(key, {})
        item = {"key": key, **{f: int(found.get(f, 0) or 0) for f in COUNT_FIELDS}}
        item["rejections_by_reason"] = dict(sorted(reasons[key].items()))
        if key in file_errors:
            item.update(reason="bad_file", detail=file_errors[key])
        files.append(item)
    totals = {f: sum(item[f] for item in files) for f in COUNT_FIELDS}
    by_reason: dict[str, int] = defaultdict(int)
    for item in files:
        for reason, rows in item["rejections_by_reason"].items():
            by_reason[reason] += rows
    return {
        "files": files,
        "totals": totals,
        "rejections_by_reason": dict(sorted(by_reason.items())),
    }
