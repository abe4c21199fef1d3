"""The orders generator: reproducible, the promised shapes and every kind of dirt.

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

from pipeline.generate.orders import generate_orders
from tests.oracle.orders_oracle import (
    BAD_FILE,
    ROW_REASONS,
    landing_date_of,
    parse_file,
    parse_order_date,
    simulate_runs,
)

LANDING = date(2024, 3, 1)


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    """One default generation (1000 rows, 3 files, 3 bad files), shared read-only."""
    root = tmp_path_factory.mktemp("lake")
    generate_orders(str(root), LANDING, rows=1000, files=3, seed=7, bad_files=3)
    return root


def raw_bytes(root: Path, key: str) -> bytes:
    data = (root / key).read_bytes()
    return gzip.decompress(data) if key.endswith(".gz") else data


def data_keys(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in (root / "raw" / "orders").rglob("*")
        if path.is_file() and "orders_bad_" not in path.name
    )


def column_values(root: Path, column: str) -> list[str]:
    """Every raw value of ``column`` in well-formed records of the data files."""
    values = []
    for key in data_keys(root):
        parsed = parse_file(key, (root / key).read_bytes())
        if column in parsed.header:
            index = parsed.header.index(column)
            values += [f[index] for _, f in parsed.records if f and len(f) == len(parsed.header)]
    return values


# --- reproducibility and layout ----------------------------------------------------------
def test_the_same_arguments_give_the_same_bytes_and_mtimes(tmp_path):
    first = generate_orders(str(tmp_path / "a"), LANDING, rows=500, seed=3, bad_files=3)
    second = generate_orders(str(tmp_path / "b"), LANDING, rows=500, seed=3, bad_files=3)
    other = generate_orders(str(tmp_path / "c"), LANDING, rows=500, seed=4, bad_files=3)
    assert first == second == other
    for key in first:
        a, b = tmp_path / "a" / key, tmp_path / "b" / key
        assert a.read_bytes() == b.read_bytes()
        assert a.stat().st_mtime == b.stat().st_mtime
    assert (tmp_path / "a" / first[0]).read_bytes() != (tmp_path / "c" / first[0]).read_bytes()


def test_keys_mtimes_and_landing_dates(tmp_path):
    keys = generate_orders(str(tmp_path), LANDING, rows=300, files=4, bad_files=2)
    assert keys == [
        "raw/orders/dt=2024-03-01/orders_1.csv",
        "raw/orders/2024/03/01/orders_2.csv.gz",
        "raw/orders/dt=2024-03-01/orders_3.csv",
        "raw/orders/dt=2024-03-01/orders_4.csv",
        "raw/orders/dt=2024-03-01/orders_bad_1.csv",
        "raw/orders/dt=2024-03-01/orders_bad_2.csv",
    ]
    noon = datetime(2024, 3, 1, 12, tzinfo=UTC)
    for minute, key in enumerate(keys):
        mtime = (tmp_path / key).stat().st_mtime
        assert mtime == (noon + timedelta(minutes=minute)).timestamp()
        assert landing_date_of(key, mtime) == LANDING


def test_a_single_file_is_plain_csv(tmp_path):
    assert generate_orders(str(tmp_path), LANDING, rows=10, files=1) == [
        "raw/orders/dt=2024-03-01/orders_1.csv"
    ]


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError):
        generate_orders(str(tmp_path), LANDING, files=0)


# --- counts ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rows", "files", "seed"),
    [(0, 1, 0), (2, 5, 1), (199, 2, 2), (200, 6, 3), (333, 3, 4), (450, 4, 5), (1, 1, 6)],
)
def test_rows_and_files_are_honoured_and_every_file_reconciles(tmp_path, rows, files, seed):
    keys = generate_orders(str(tmp_path), LANDING, rows=rows, files=files, seed=seed)
    run = simulate_runs(tmp_path, [LANDING]).runs[LANDING]
    assert len(keys) == len(run.files) == files
    assert run.totals["rows_read"] == rows
    assert all(counts.reconciles and counts.reason is None for counts in run.files.values())
    assert sum(run.rejections_by_reason.values()) == run.totals["rows_rejected"]


def test_most_rows_are_clean_and_about_six_percent_are_rejected(lake):
    totals = simulate_runs(lake, [LANDING]).runs[LANDING].totals
    assert totals["rows_read"] == 1000
    assert totals["rows_rejected"] == 60
    assert 0 < totals["rows_duplicate"] < 40
    assert totals["rows_valid"] == 1000 - 60 - totals["rows_duplicate"]


# --- dirt --------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_every_rejection_reason_appears_from_200_rows(tmp_path, seed):
    generate_orders(str(tmp_path), LANDING, rows=200, files=3, seed=seed)
    run = simulate_runs(tmp_path, [LANDING]).runs[LANDING]
    assert set(run.rejections_by_reason) == set(ROW_REASONS)


@pytest.mark.parametrize("seed", range(5))
def test_malformed_rows_come_both_as_wrong_field_counts_and_broken_quotes(tmp_path, seed):
    keys = generate_orders(str(tmp_path), LANDING, rows=200, files=3, seed=seed)
    kinds = set()
    for key in keys:
        parsed = parse_file(key, (tmp_path / key).read_bytes())
        for _, fields in parsed.records:
            if fields is None:
                kinds.add("broken_quote")
            elif len(fields) != len(parsed.header):
                kinds.add("wrong_field_count")
    assert kinds == {"broken_quote", "wrong_field_count"}


def test_bad_files_cycle_through_missing_column_empty_and_binary(tmp_path):
    keys = generate_orders(str(tmp_path), LANDING, rows=50, files=2, bad_files=4)
    bad = [key for key in keys if "orders_bad_" in key]
    run = simulate_runs(tmp_path, [LANDING]).runs[LANDING]
    assert [run.files[key].reason for key in bad] == [BAD_FILE] * 4
    assert run.files_rejected == 4
    contents = [(tmp_path / key).read_bytes() for key in bad]
    assert contents[0].splitlines()[0].decode() == (
        "order_id,customer_id,order_date,status,quantity,country,updated_at"
    )
    assert contents[1] == b""
    assert contents[2].startswith(b"\x89PNG")
    assert b"unit_price" not in contents[3].splitlines()[0]
    assert run.totals["rows_read"] == 50


# --- format variety ----------------------------------------------------------------------
def test_encodings_line_ends_and_compression_vary(lake):
    keys = data_keys(lake)
    contents = {key: raw_bytes(lake, key) for key in keys}
    gzipped = [key for key in keys if key.endswith(".csv.gz")]
    assert len(gzipped) == 1
    assert (lake / gzipped[0]).read_bytes()[:2] == b"\x1f\x8b"
    assert any(data.startswith(b"\xef\xbb\xbf") for data in contents.values())
    assert any(not data.startswith(b"\xef\xbb\xbf") for data in contents.values())
    assert any(data.count(b"\r\n") > 900 / 3 for data in contents.values())
    assert any(b"\r\n" not in data.split(b"\n", 1)[0] + b"\n" for data in contents.values())


def test_headers_are_oddly_spelled_shuffled_and_sometimes_lack_country(lake):
    headers = [raw_bytes(lake, key).decode("utf-8-sig").splitlines()[0] for key in data_keys(lake)]
    names = [header.split(",") for header in headers]
    assert any(name != name.strip().lower() for header in names for name in header)
    normalised = [[name.strip().lower() for name in header] for header in names]
    canonical = ["order_id", "customer_id", "order_date", "status", "quantity", "unit_price"]
    assert any([name for name in header if name in canonical] != canonical for header in normalised)
    assert any("country" not in header for header in normalised)
    assert any("notes" in header for header in normalised)


def test_notes_carry_quoted_commas_quotes_and_line_breaks(lake):
    notes = column_values(lake, "notes")
    assert any("," in note for note in notes)
    assert any('"' in note for note in notes)
    assert any("\n" in note for note in notes)


def test_order_dates_come_in_all_four_forms_within_the_month_before_landing(lake):
    values = [value.strip() for value in column_values(lake, "order_date")]
    forms = {
        "dash": r"\d{4}-\d{2}-\d{2}",
        "slash": r"\d{4}/\d{2}/\d{2}",
        "us": r"\d{1,2}/\d{1,2}/\d{4}",
        "iso": r"\d{4}-\d{2}-\d{2}T.+",
    }
    for pattern in forms.values():
        assert any(re.fullmatch(pattern, value) for value in values)
    assert any(re.fullmatch(r"\d/\d{1,2}/\d{4}", value) for value in values)
    dates = [parse_order_date(value) for value in values]
    valid = [d for d in dates if d is not None]
    assert len(valid) > 0.95 * len(values)
    assert all(LANDING - timedelta(days=31) <= d <= LANDING for d in valid)


def test_values_are_spelled_the_ways_real_exports_spell_them(lake):
    prices = column_values(lake, "unit_price")
    assert any(re.fullmatch(r"\$\d{1,3}(,\d{3})+\.\d{2}", price) for price in prices)
    statuses = {status.strip() for status in column_values(lake, "status")}
    assert {"canceled", "cancelled", "Delivered"} <= statuses
    countries = set(column_values(lake, "country"))
    assert {"US", "USA", "United States", "IND", "India", ""} <= countries
    updated = column_values(lake, "updated_at")
    blank = sum(1 for value in updated if not value.strip())
    assert 0 < blank < 0.2 * len(updated)
    customers = [value.strip().upper() for value in column_values(lake, "customer_id")]
    assert len(set(customers)) < len(customers) / 3  # customers come back


# --- re-sent orders ----------------------------------------------------------------------
def test_orders_are_resent_in_a_later_file_with_another_updated_at(lake):
    versions: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for key in data_keys(lake):
        parsed = parse_file(key, (lake / key).read_bytes())
        order_id, updated = parsed.header.index("order_id"), parsed.header.index("updated_at")
        for _, fields in parsed.records:
            if fields and len(fields) == len(parsed.header):
                versions[fields[order_id].strip()].add((key, fields[updated]))
    resent = [v for v in versions.values() if len({key for key, _ in v}) > 1]
    assert resent
    assert all(len({updated for _, updated in v}) > 1 for v in resent)


def test_a_landing_updates_orders_of_the_previous_landing(tmp_path):
    previous = LANDING - timedelta(days=1)
    generate_orders(str(tmp_path), previous, rows=1000, seed=1)
    generate_orders(str(tmp_path), LANDING, rows=1000, seed=1)
    result = simulate_runs(tmp_path, [previous, LANDING])
    today = result.runs[LANDING].orders
    updated = [order_id for order_id in today if order_id.startswith("ORD-20240229-")]
    assert len(updated) >= 5
    assert all(result.latest_orders[order_id] is today[order_id] for order_id in updated)
    assert any(order_id in result.runs[previous].orders for order_id in updated)
