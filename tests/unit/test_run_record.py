"""Reconciliation: a run whose counts do not add up is caught."""

from pipeline.steps.run_record import reconciliation_problems


def record(**file_counts):
    entry = {"key": "k", "rows_read": 10, "rows_valid": 6, "rows_rejected": 3, "rows_duplicate": 1}
    entry.update(file_counts)
    totals = {k: entry[k] for k in ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")}
    return {
        "files": [entry],
        "totals": totals,
        "rejections_by_reason": {"bad_date": entry["rows_rejected"]},
    }


def test_counts_that_reconcile_have_no_problems():
    assert reconciliation_problems(record(), processed_rows=6, quarantined_rows=3) == []


def test_a_lost_row_is_a_problem():
    problems = reconciliation_problems(record(rows_read=11), processed_rows=6, quarantined_rows=3)
    assert any("rows_read 11" in p for p in problems)


def test_stored_rows_must_match_the_counts():
    problems = reconciliation_problems(record(), processed_rows=5, quarantined_rows=2)
    assert any("processed table holds 5" in p for p in problems)
    assert any("quarantine holds 2" in p for p in problems)
