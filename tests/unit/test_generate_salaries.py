"""The salaries generator: reproducible, the promised shapes and every kind of dirt.

Checked by reading its files back with the independent oracle, so "every rejection
reason appears" means the contract rules really reject those rows.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.generate.salaries import generate_salaries, spell_amount, staff_register
from tests.oracle.orders_oracle import landing_date_of
from tests.oracle.salaries_oracle import (
    BAD_FILE,
    ROW_REASONS,
    Salary,
    clean_record,
    parse_file,
    simulate_runs,
)

LANDING = date(2024, 3, 1)


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    """One generation of 4 files (all column variants) and 3 bad files, shared read-only."""
    root = tmp_path_factory.mktemp("lake")
    generate_salaries(str(root), LANDING, rows=1000, files=4, seed=7, bad_files=3)
    return root


def raw_bytes(root: Path, key: str) -> bytes:
    data = (root / key).read_bytes()
    return gzip.decompress(data) if key.endswith(".gz") else data


def data_keys(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in (root / "raw" / "salaries").rglob("*")
        if path.is_file() and "_bad_" not in path.name
    )


def well_formed(root: Path) -> list[tuple[str, int, dict[str, str]]]:
    """(key, line, {column: raw value}) of every well-formed record of the data files."""
    rows = []
    for key in data_keys(root):
        parsed = parse_file(key, (root / key).read_bytes())
        for line, fields in parsed.records:
            if fields and len(fields) == len(parsed.header):
                rows.append((key, line, dict(zip(parsed.header, fields, strict=True))))
    return rows


def column_values(root: Path, column: str) -> list[str]:
    return [values[column] for _, _, values in well_formed(root) if column in values]


def valid_rows(root: Path) -> list[tuple[str, int, Salary]]:
    rows = []
    for key, line, values in well_formed(root):
        outcome = clean_record(list(values), list(values.values()))
        if isinstance(outcome, Salary):
            rows.append((key, line, outcome))
    return rows


# --- reproducibility and layout ----------------------------------------------------------
def test_the_same_arguments_give_the_same_bytes_and_mtimes(tmp_path):
    first = generate_salaries(str(tmp_path / "a"), LANDING, rows=400, seed=3, bad_files=3)
    second = generate_salaries(str(tmp_path / "b"), LANDING, rows=400, seed=3, bad_files=3)
    other = generate_salaries(str(tmp_path / "c"), LANDING, rows=400, seed=4, bad_files=3)
    assert first == second == other
    for key in first:
        a, b = tmp_path / "a" / key, tmp_path / "b" / key
        assert a.read_bytes() == b.read_bytes()
        assert a.stat().st_mtime == b.stat().st_mtime
    assert (tmp_path / "a" / first[0]).read_bytes() != (tmp_path / "c" / first[0]).read_bytes()


def test_keys_mtimes_and_landing_dates(tmp_path):
    keys = generate_salaries(str(tmp_path), LANDING, rows=300, files=4, bad_files=2)
    assert keys == [
        "raw/salaries/dt=2024-03-01/hr_export_1.csv",
        "raw/salaries/2024/03/01/hr_export_2.csv.gz",
        "raw/salaries/dt=2024-03-01/hr_export_3.csv",
        "raw/salaries/dt=2024-03-01/hr_export_4.csv",
        "raw/salaries/dt=2024-03-01/hr_export_bad_1.csv",
        "raw/salaries/dt=2024-03-01/hr_export_bad_2.csv",
    ]
    noon = datetime(2024, 3, 1, 12, tzinfo=UTC)
    for minute, key in enumerate(keys):
        mtime = (tmp_path / key).stat().st_mtime
        assert mtime == (noon + timedelta(minutes=minute)).timestamp()
        assert landing_date_of(key, mtime) == LANDING


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError):
        generate_salaries(str(tmp_path), LANDING, files=0)


# --- counts and dirt ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rows", "files", "seed"), [(0, 1, 0), (2, 5, 1), (199, 2, 2), (333, 3, 4), (1, 1, 6)]
)
def test_rows_and_files_are_honoured_and_every_file_reconciles(tmp_path, rows, files, seed):
    keys = generate_salaries(str(tmp_path), LANDING, rows=rows, files=files, seed=seed)
    run = simulate_runs(tmp_path, [LANDING]).runs[LANDING]
    assert len(keys) == len(run.files) == files
    assert run.totals["rows_read"] == rows
    assert all(counts.reconciles and counts.reason is None for counts in run.files.values())
    assert sum(run.rejections_by_reason.values()) == run.totals["rows_rejected"]


def test_six_percent_are_rejected_and_some_are_duplicates(lake):
    totals = simulate_runs(lake, [LANDING]).runs[LANDING].totals
    assert totals["rows_read"] == 1000
    assert totals["rows_rejected"] == 60  # exactly the planned dirty rows
    assert 5 < totals["rows_duplicate"] < 40
    assert totals["rows_valid"] == 1000 - 60 - totals["rows_duplicate"]


@pytest.mark.parametrize("seed", range(4))
def test_every_rejection_reason_appears_from_200_rows(tmp_path, seed):
    generate_salaries(str(tmp_path), LANDING, rows=200, files=3, seed=seed)
    run = simulate_runs(tmp_path, [LANDING]).runs[LANDING]
    assert set(run.rejections_by_reason) == set(ROW_REASONS)


def test_malformed_rows_come_both_as_wrong_field_counts_and_broken_quotes(lake):
    kinds = set()
    for key in data_keys(lake):
        parsed = parse_file(key, (lake / key).read_bytes())
        for _, fields in parsed.records:
            if fields is None:
                kinds.add("broken_quote")
            elif len(fields) != len(parsed.header):
                kinds.add("wrong_field_count")
    assert kinds == {"broken_quote", "wrong_field_count"}


def test_bad_files_cycle_through_missing_salary_empty_and_binary(tmp_path):
    keys = generate_salaries(str(tmp_path), LANDING, rows=50, files=2, bad_files=4)
    bad = [key for key in keys if "_bad_" in key]
    run = simulate_runs(tmp_path, [LANDING]).runs[LANDING]
    assert [run.files[key].reason for key in bad] == [BAD_FILE] * 4
    contents = [(tmp_path / key).read_bytes() for key in bad]
    assert contents[0].splitlines()[0].decode() == (
        "employee_id,name,department,country,currency,as_of_date"
    )
    assert contents[1] == b""
    assert contents[2].startswith(b"\x89PNG")
    assert b"salary" not in contents[3].splitlines()[0]
    assert run.totals["rows_read"] == 50


# --- format variety ----------------------------------------------------------------------
def test_encodings_line_ends_and_compression_vary(lake):
    contents = {key: raw_bytes(lake, key) for key in data_keys(lake)}
    gzipped = [key for key in contents if key.endswith(".csv.gz")]
    assert len(gzipped) == 1
    assert (lake / gzipped[0]).read_bytes()[:2] == b"\x1f\x8b"
    assert any(data.startswith(b"\xef\xbb\xbf") for data in contents.values())
    assert any(not data.startswith(b"\xef\xbb\xbf") for data in contents.values())
    assert any(data.count(b"\r\n") > 200 for data in contents.values())


def test_headers_are_oddly_spelled_shuffled_and_optional_columns_come_and_go(lake):
    headers = [raw_bytes(lake, key).decode("utf-8-sig").splitlines()[0] for key in data_keys(lake)]
    names = [header.split(",") for header in headers]
    assert any(name != name.strip().lower() for header in names for name in header)
    normalised = [[name.strip().lower() for name in header] for header in names]
    assert any(
        [n for n in header if n in ("employee_id", "country", "salary")]
        != [
            "employee_id",
            "country",
            "salary",
        ]
        for header in normalised
    )
    for optional in ("currency", "department", "as_of_date", "comments"):
        assert any(optional not in header for header in normalised), optional
        assert any(optional in header for header in normalised), optional


def test_names_and_comments_carry_quotes_commas_line_breaks_and_accents(lake):
    names = column_values(lake, "name")
    assert any("," in name for name in names)
    assert any('"' in name for name in names)
    assert any(not name.isascii() for name in names)
    comments = column_values(lake, "comments")
    assert any("\n" in comment for comment in comments)
    assert any('"' in comment for comment in comments)
    assert any("," in comment for comment in comments)


def test_values_are_spelled_the_ways_hr_exports_spell_them(lake):
    salaries = [value.strip() for value in column_values(lake, "salary")]
    for pattern in (
        r"₹\d{1,2}(,\d{2})+,\d{3}(\.\d{2})?",  # Indian grouping
        r"Rs\. ?[\d,]+(\.\d{2})?",
        r"\$ ?\d{1,3}(,\d{3})+(\.\d{2})?",
        r"€[\d,]+(\.\d{2})?",
        r"£[\d,]+(\.\d{2})?",
        r"\d+",
    ):
        assert any(re.fullmatch(pattern, value) for value in salaries), pattern
    countries = set(column_values(lake, "country"))
    assert {"IN", "India", "IND", "US", "USA", "United States", "GB", "DE"} <= countries
    currencies = column_values(lake, "currency")
    assert "" in currencies and any(c != c.strip().upper() and c.strip() for c in currencies)


def test_valid_rows_mix_countries_currencies_and_dates(lake):
    valid = [salary for _, _, salary in valid_rows(lake)]
    pairs = {(s.country, s.currency) for s in valid}
    assert {("IN", "INR"), ("US", "USD"), ("IN", "USD"), ("GB", "GBP")} <= pairs
    share = sum(s.country in ("IN", "US") for s in valid) / len(valid)
    assert 0.6 < share < 0.85
    assert any(s.as_of_date is None for s in valid)
    assert all(s.as_of_date is None or s.as_of_date <= LANDING for s in valid)


def test_spell_amount_groups_like_people_do():
    assert spell_amount(125000050, "indian") == "12,50,000.50"
    assert spell_amount(1000000000, "indian") == "1,00,00,000"
    assert spell_amount(99900, "indian") == "999"
    assert spell_amount(125000000, "thousands") == "1,250,000"
    assert spell_amount(8500001, "plain") == "85000.01"


# --- duplicates and landings -------------------------------------------------------------
def test_employees_come_back_in_later_files_and_corrected_lines(lake):
    versions: dict[str, list[tuple[str, int, Salary]]] = defaultdict(list)
    for key, line, salary in valid_rows(lake):
        versions[salary.employee_id].append((key, line, salary))
    repeated = [v for v in versions.values() if len(v) > 1]
    across_files = [v for v in repeated if len({key for key, _, _ in v}) > 1]
    same_file = [v for v in repeated if len({key for key, _, _ in v}) == 1]
    assert across_files and same_file
    assert all(len({s.as_of_date for _, _, s in v}) > 1 for v in across_files)
    assert all(len({s.salary for _, _, s in v}) > 1 for v in same_file)


def test_landings_describe_the_same_staff_with_newer_versions(tmp_path):
    previous = LANDING - timedelta(days=1)
    generate_salaries(str(tmp_path), previous, rows=600, seed=1)
    generate_salaries(str(tmp_path), LANDING, rows=400, seed=1)
    result = simulate_runs(tmp_path, [previous, LANDING])
    first, second = result.runs[previous].salaries, result.runs[LANDING].salaries
    both = set(first) & set(second)
    assert len(both) > 100
    assert all(first[e].country == second[e].country for e in both)
    assert all(first[e].currency == second[e].currency for e in both)
    from_second = [e for e in both if result.latest[e] is second[e]]
    assert 0 < len(from_second) < len(both)  # newer as_of_date wins, whichever run has it


def test_the_staff_register_does_not_depend_on_its_size():
    small, large = staff_register(5, 10), staff_register(5, 2500)
    assert len(small) == 1000 and len(large) == 3000
    assert large[:1000] == small
    assert staff_register(6, 10) != small
