"""The orders oracle against small hand-written lakes whose right answers are worked out by hand.

If the oracle is wrong, every Spark test that trusts it is wrong too, so each contract
rule gets its own fixture here.
"""

from __future__ import annotations

import gzip
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.oracle.orders_oracle import (
    BAD_DATE,
    BAD_FILE,
    BAD_PRICE,
    BAD_QUANTITY,
    BAD_STATUS,
    DUPLICATE_FILE,
    MALFORMED_ROW,
    MISSING_FIELD,
    Order,
    Rejection,
    clean_record,
    landing_date_of,
    list_raw_files,
    normalise_country,
    parse_file,
    parse_order_date,
    parse_price,
    parse_quantity,
    parse_updated_at,
    simulate_runs,
)

D1 = date(2024, 3, 1)
D2 = date(2024, 3, 2)
NOON_D1 = datetime(2024, 3, 1, 12, tzinfo=UTC)
NOON_D2 = datetime(2024, 3, 2, 12, tzinfo=UTC)
HEADER = ["order_id", "customer_id", "order_date", "status", "quantity", "unit_price"]
FULL_HEADER = [*HEADER, "country", "updated_at"]


def put(root: Path, key: str, content: str | bytes, at: datetime = NOON_D1) -> str:
    """Write a raw object into the lake with a chosen mtime; gzip it when the key says so."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if key.lower().endswith(".gz") and not data.startswith(b"\x1f\x8b"):
        data = gzip.compress(data, mtime=0)
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return key


def csv_text(*lines: str, end: str = "\n") -> str:
    return "".join(line + end for line in lines)


def clean(**overrides: str) -> Order | str:
    """Clean one row of FULL_HEADER built from valid defaults plus ``overrides``."""
    row = {
        "order_id": "A1",
        "customer_id": "c1",
        "order_date": "2024-02-01",
        "status": "pending",
        "quantity": "1",
        "unit_price": "1.00",
        "country": "",
        "updated_at": "",
        **overrides,
    }
    return clean_record(FULL_HEADER, [row[name] for name in FULL_HEADER])


# --- landing dates and file selection ------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "mtime", "expected"),
    [
        ("raw/orders/dt=2024-03-01/a.csv", NOON_D2, D1),
        ("raw/orders/2024/03/01/a.csv.gz", NOON_D2, D1),
        ("raw/orders/inbox/a.csv", datetime(2024, 3, 2, 4, 30, tzinfo=UTC), D2),
        ("raw/orders/dt=2024-13-45/a.csv", NOON_D2, D2),  # not a date: mtime decides
        ("raw/orders/dt=2024-03-01.csv", NOON_D2, D2),  # not a folder segment
    ],
)
def test_landing_date_comes_from_the_key_else_the_utc_mtime(key, mtime, expected):
    assert landing_date_of(key, mtime.timestamp()) == expected


def test_only_csv_and_csv_gz_under_raw_orders_are_raw_files(tmp_path):
    put(tmp_path, "raw/orders/dt=2024-03-01/a.csv", "x")
    put(tmp_path, "raw/orders/dt=2024-03-01/B.CSV", "x")
    put(tmp_path, "raw/orders/2024/03/01/c.csv.gz", "x")
    put(tmp_path, "raw/orders/dt=2024-03-01/readme.txt", "x")
    put(tmp_path, "raw/salaries/dt=2024-03-01/a.csv", "x")
    keys = sorted(raw.key for raw in list_raw_files(tmp_path))
    assert keys == [
        "raw/orders/2024/03/01/c.csv.gz",
        "raw/orders/dt=2024-03-01/B.CSV",
        "raw/orders/dt=2024-03-01/a.csv",
    ]


def test_a_run_takes_only_the_files_landing_on_its_date(tmp_path):
    body = csv_text(",".join(HEADER), "A1,C1,2024-02-01,pending,1,1.00")
    put(tmp_path, "raw/orders/dt=2024-03-01/a.csv", body, at=NOON_D2)
    put(tmp_path, "raw/orders/inbox/late.csv", body.replace("A1", "A2"), at=NOON_D2)
    result = simulate_runs(tmp_path, [D1, D2])
    assert list(result.runs[D1].files) == ["raw/orders/dt=2024-03-01/a.csv"]
    assert list(result.runs[D2].files) == ["raw/orders/inbox/late.csv"]


# --- reading files -----------------------------------------------------------------------
LINE_NUMBER_FILE = [
    "order_id,customer_id,order_date,status,quantity,unit_price,notes",  # 1
    'A1,C1,2024-02-01,pending,1,1.00,"first line',  # 2
    'second line, with a comma"',  # 3
    "",  # 4: blank, skipped
    "A2,C1,2024-02-01,pending,zero,1.00,",  # 5: bad quantity
    'A3,"C1"x,2024-02-01,pending,1,1.00,',  # 6: broken quote, the rest still parses
    "A4,C1,2024-02-01,pending,1,1.00",  # 7: one field short
    'A5,C1,2024-02-01,pending,1,1.00,"say ""hi"""',  # 8
    'A6,C"1,2024-02-01,pending,1,1.00,',  # 9: a stray quote in an unquoted field
    'A7,C1,2024-02-01,pending,1,1.00,"never closed',  # 10: EOF inside quotes
    "more",  # 11
]


@pytest.mark.parametrize(
    ("key", "bom", "end"),
    [
        ("raw/orders/dt=2024-03-01/plain.csv", "", "\n"),
        ("raw/orders/dt=2024-03-01/windows.csv", "\ufeff", "\r\n"),
        ("raw/orders/dt=2024-03-01/packed.CSV.GZ", "\ufeff", "\n"),
    ],
)
def test_line_numbers_count_physical_lines_whatever_the_encoding(tmp_path, key, bom, end):
    put(tmp_path, key, bom + csv_text(*LINE_NUMBER_FILE, end=end))
    run = simulate_runs(tmp_path, [D1]).runs[D1]
    counts = run.files[key]
    assert (counts.rows_read, counts.rows_valid, counts.rows_rejected) == (7, 2, 5)
    assert counts.reconciles and counts.reason is None
    assert run.rejections == [
        Rejection(key, 5, BAD_QUANTITY),
        Rejection(key, 6, MALFORMED_ROW),
        Rejection(key, 7, MALFORMED_ROW),
        Rejection(key, 9, MALFORMED_ROW),
        Rejection(key, 10, MALFORMED_ROW),
    ]
    assert run.orders["A1"].order_id == "A1"
    assert counts.ignored_columns == ["notes"]


@pytest.mark.parametrize(
    ("line", "well_formed"),
    [
        ('A1,ab"c,2024-02-01,pending,1,1', False),  # csv accepts it; RFC 4180 does not
        ('A1,"ab"c,2024-02-01,pending,1,1', False),
        ('A1,"ab" ,2024-02-01,pending,1,1', False),
        ('A1,"a""b,c",2024-02-01,pending,1,1', True),
        ('"A1","",2024-02-01,pending,1,"1"', True),
    ],
)
def test_quotes_must_wrap_whole_fields(line, well_formed):
    parsed = parse_file("k.csv", csv_text(",".join(HEADER), line).encode())
    assert (parsed.records[0][1] is not None) is well_formed


def test_header_names_are_trimmed_and_case_free_in_any_order():
    header = " Unit_Price ,STATUS,order_id,Quantity , customer_id,Order_Date,Extra"
    parsed = parse_file("k.csv", csv_text(header, "$2.50,Shipped, A1 ,2,c9,2024-02-01,x").encode())
    order = clean_record(parsed.header, parsed.records[0][1])
    assert (order.order_id, order.customer_id, order.status) == ("A1", "C9", "shipped")
    assert (order.amount, order.country, order.updated_at) == (Decimal("5.00"), "UNKNOWN", None)
    assert parsed.ignored_columns == ["extra"]


def test_a_file_with_only_a_header_is_read_with_no_rows(tmp_path):
    key = put(tmp_path, "raw/orders/dt=2024-03-01/a.csv", ",".join(HEADER) + "\n")
    counts = simulate_runs(tmp_path, [D1]).runs[D1].files[key]
    assert (counts.rows_read, counts.reason) == (0, None)


@pytest.mark.parametrize(
    ("key", "content"),
    [
        ("empty.csv", b""),
        ("blank_lines.csv", b"\n\r\n\n"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x01"),
        ("latin1.csv", ",".join(HEADER).encode() + "\nA1,Zoë,2024-02-01,x,1,1\n".encode("latin-1")),
        ("not_gzip.csv.gz", b"\x1f\x8b\x08 truncated"),
        ("no_price.csv", csv_text("order_id,customer_id,order_date,status,quantity", "A1,C")),
        ("twice.csv", csv_text(",".join(HEADER) + ",Order_ID", "A1,C1,2024-02-01,pending,1,1,A2")),
        ("broken_header.csv", csv_text('"order_id"x,' + ",".join(HEADER[1:]), "A1")),
    ],
)
def test_unreadable_files_are_rejected_whole_and_do_not_stop_the_run(tmp_path, key, content):
    bad = put(tmp_path, f"raw/orders/dt=2024-03-01/{key}", content)
    good = put(
        tmp_path,
        "raw/orders/dt=2024-03-01/good.csv",
        csv_text(",".join(HEADER), "G,C,2024-02-01,pending,1,1"),
    )
    run = simulate_runs(tmp_path, [D1]).runs[D1]
    assert run.files[bad].as_dict() == {
        "key": bad,
        "rows_read": 0,
        "rows_valid": 0,
        "rows_rejected": 0,
        "rows_duplicate": 0,
        "reason": BAD_FILE,
    }
    assert run.files[good].rows_valid == 1
    assert (run.rejections_by_reason, run.files_rejected) == ({}, 1)
    assert run.totals == {"rows_read": 1, "rows_valid": 1, "rows_rejected": 0, "rows_duplicate": 0}


# --- cleaning one row --------------------------------------------------------------------
def test_a_clean_row_gets_every_cleaned_value():
    order = clean(
        order_id=" A1 ",
        customer_id=" c-7 ",
        order_date="2024-02-29T23:30:00-05:00",
        status=" Canceled ",
        quantity=" +3 ",
        unit_price="$1,299.505",
        country=" united states of america ",
        updated_at="2024-03-01T10:00:00.1234567+0200",
    )
    assert order == Order(
        order_id="A1",
        customer_id="C-7",
        order_date=date(2024, 3, 1),
        status="cancelled",
        quantity=3,
        unit_price=Decimal("1299.51"),
        country="US",
        updated_at=datetime(2024, 3, 1, 8, 0, 0, 123456, tzinfo=UTC),
        amount=Decimal("3898.53"),
        order_month="2024-03",
    )


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"order_id": "  "}, MISSING_FIELD),
        ({"unit_price": ""}, MISSING_FIELD),
        ({"order_date": "2024-02-30"}, BAD_DATE),
        ({"updated_at": "03/01/2024"}, BAD_DATE),
        ({"status": "lost"}, BAD_STATUS),
        ({"quantity": "0"}, BAD_QUANTITY),
        ({"unit_price": "-1.00"}, BAD_PRICE),
        # the first failing check wins
        ({"customer_id": "", "order_date": "never"}, MISSING_FIELD),
        ({"order_date": "never", "status": "lost"}, BAD_DATE),
        ({"updated_at": "never", "status": "lost"}, BAD_DATE),
        ({"status": "lost", "quantity": "x"}, BAD_STATUS),
        ({"quantity": "x", "unit_price": "x"}, BAD_QUANTITY),
        # blank optional values are fine
        ({"country": " ", "updated_at": "  "}, None),
    ],
)
def test_row_checks_run_in_contract_order(overrides, reason):
    outcome = clean(**overrides)
    assert (outcome if isinstance(outcome, str) else None) == reason


def test_a_row_with_a_different_field_count_is_malformed():
    assert clean_record(HEADER, ["A1", "C1", "2024-02-01", "pending", "1"]) == MALFORMED_ROW
    assert (
        clean_record(HEADER, ["A1", "C1", "2024-02-01", "pending", "1", "1", ""]) == MALFORMED_ROW
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("2024/03/01", date(2024, 3, 1)),
        ("03/01/2024", date(2024, 3, 1)),
        ("3/1/2024", date(2024, 3, 1)),
        ("12/31/2023", date(2023, 12, 31)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2024-03-01T10:00:00Z", date(2024, 3, 1)),
        ("2024-03-01T10:00", date(2024, 3, 1)),
        ("2024-03-01T23:59:59.999999", date(2024, 3, 1)),
        ("2024-03-01T22:00:00-05:00", date(2024, 3, 2)),
        ("2024-03-01T01:00:00+0530", date(2024, 2, 29)),
        ("2023-02-29", None),
        ("31/12/2023", None),
        ("2024-3-1", None),
        ("2024-03-01 10:00:00", None),
        ("2024-03-01T24:00:00Z", None),
        ("2024-03-01T10:00:00+25:00", None),
        ("2024-03-01t10:00:00z", None),
        ("20240301", None),
        ("٢٠٢٤-٠٣-٠١", None),  # non-ASCII digits
    ],
)
def test_order_date_forms(text, expected):
    assert parse_order_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03-01T10:00Z", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00+01:00", datetime(2024, 3, 1, 9, tzinfo=UTC)),
        ("2024/03/01", None),
        ("03/01/2024", None),
        ("soon", None),
    ],
)
def test_updated_at_forms(text, expected):
    assert parse_updated_at(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("+2", 2),
        ("007", 7),
        ("2147483647", 2147483647),
        ("2147483648", None),
        ("0", None),
        ("-1", None),
        ("1.0", None),
        ("1e3", None),
        ("two", None),
    ],
)
def test_quantity_forms(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", Decimal("0.00")),
        ("19.99", Decimal("19.99")),
        ("$1,299.50", Decimal("1299.50")),
        ("1,234,567.891", Decimal("1234567.89")),
        ("2.675", Decimal("2.68")),  # half-up, and not the float 2.67499…
        ("0.125", Decimal("0.13")),  # half-up, not half-even
        ("9999999999.99", Decimal("9999999999.99")),
        ("9999999999.995", None),  # rounds past the decimal(12,2) limit
        ("-1.00", None),
        ("abc", None),
        ("1,2,3", None),
        ("12,50", None),
        ("1234,567", None),
        ("$", None),
        (".5", None),
        ("5.", None),
        ("€5", None),
    ],
)
def test_price_forms(text, expected):
    assert parse_price(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IN", "IN"),
        (" in ", "IN"),
        ("ind", "IN"),
        ("India", "IN"),
        ("USA", "US"),
        ("us", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("Britain", "GB"),
        ("great britain", "GB"),
        ("England", "GB"),
        ("United Kingdom", "GB"),
        ("DEU", "DE"),
        ("South Korea", "KR"),  # pycountry common_name
        ("Bolivia, Plurinational State of", "BO"),  # pycountry name
        ("", "UNKNOWN"),
        ("Narnia", "UNKNOWN"),
        ("U.S.", "US"),
        ("Scotland", "GB"),
        ("Holland", "NL"),
        ("Russia", "RU"),
        ("Republic of Korea", "UNKNOWN"),
    ],
)
def test_country_forms(text, expected):
    assert normalise_country(text) == expected


# --- duplicates within a run -------------------------------------------------------------
def test_dedupe_prefers_latest_updated_at_then_latest_file_then_last_line(tmp_path):
    header = "order_id,customer_id,order_date,status,quantity,unit_price,updated_at"
    row = "{},C1,2024-02-01,{},1,1.00,{}"
    first = put(
        tmp_path,
        "raw/orders/dt=2024-03-01/f1.csv",
        csv_text(
            header,
            row.format("X1", "pending", "2024-03-01T10:00:00Z"),  # beats f2's older X1
            row.format("X2", "pending", ""),  # loses to f2's timestamped X2
            row.format("X3", "pending", "2024-03-01T10:00:00Z"),  # ties: a later file wins
            row.format("X4", "pending", ""),
            row.format("X4", "shipped", ""),  # same file, last line wins
            row.format("X5", "pending", "2024-03-01T10:00:00Z"),
            row.format("X5", "bogus", "2024-03-01T11:00:00Z"),  # rejected: never a candidate
        ),
        at=NOON_D1,
    )
    later = datetime(2024, 3, 1, 12, 5, tzinfo=UTC)
    second = put(  # key sorts first, but its mtime is later
        tmp_path,
        "raw/orders/dt=2024-03-01/a_f2.csv",
        csv_text(
            header,
            row.format("X1", "shipped", "2024-03-01T09:00:00Z"),
            row.format("X2", "shipped", "2024-03-01T08:00:00Z"),
            row.format(" X3", "delivered", "2024-03-01T05:00:00-05:00"),  # = 10:00Z
        ),
        at=later,
    )
    third = put(  # same mtime as a_f2, greater key: the latest file
        tmp_path,
        "raw/orders/dt=2024-03-01/z_f3.csv",
        csv_text(header, row.format("X3", "returned", "2024-03-01T10:00:00Z")),
        at=later,
    )
    run = simulate_runs(tmp_path, [D1]).runs[D1]
    statuses = {order_id: order.status for order_id, order in run.orders.items()}
    assert statuses == {
        "X1": "pending",
        "X2": "shipped",
        "X3": "returned",
        "X4": "shipped",
        "X5": "pending",
    }
    counts = {key: run.files[key].as_dict() for key in (first, second, third)}
    assert [
        (c["rows_read"], c["rows_valid"], c["rows_rejected"], c["rows_duplicate"])
        for c in counts.values()
    ] == [
        (7, 3, 1, 3),
        (3, 1, 0, 2),
        (1, 1, 0, 0),
    ]
    assert list(run.files) == [first, second, third]  # processing order: mtime, then key
    assert run.totals == {"rows_read": 11, "rows_valid": 5, "rows_rejected": 1, "rows_duplicate": 5}


# --- duplicate files ---------------------------------------------------------------------
def test_the_same_bytes_twice_count_as_duplicates_in_the_same_and_later_runs(tmp_path):
    body = csv_text(
        ",".join(HEADER),
        "A1,C1,2024-02-01,pending,1,1.00",
        "A2,C1,2024-02-01,pending,1,1.00",
        "",
        "A3,C1,2024-02-01,pending,1",
    )
    original = put(tmp_path, "raw/orders/dt=2024-03-01/z_original.csv", body, at=NOON_D1)
    copy = put(tmp_path, "raw/orders/dt=2024-03-01/a_copy.csv", body, at=NOON_D2)
    again = put(tmp_path, "raw/orders/dt=2024-03-02/again.csv", body, at=NOON_D2)
    zipped = put(tmp_path, "raw/orders/dt=2024-03-02/zipped.csv.gz", body, at=NOON_D2)
    result = simulate_runs(tmp_path, [D1, D2])
    d1, d2 = result.runs[D1], result.runs[D2]
    assert d1.files[original].as_dict()["rows_valid"] == 2
    assert d1.files[original].rows_rejected == 1
    for counts in (d1.files[copy], d2.files[again]):
        assert (counts.reason, counts.rows_read, counts.rows_duplicate) == (DUPLICATE_FILE, 3, 3)
        assert counts.rows_valid == counts.rows_rejected == 0
    # other bytes (compressed) are another file: its rows are read, the orders are not new
    assert d2.files[zipped].reason is None and d2.files[zipped].rows_valid == 2
    assert d2.totals == {"rows_read": 6, "rows_valid": 2, "rows_rejected": 1, "rows_duplicate": 3}
    assert [row["orders"] for row in result.summaries["status_summary"]] == [2]


def test_two_empty_files_are_both_bad_files_not_duplicates(tmp_path):
    first = put(tmp_path, "raw/orders/dt=2024-03-01/a.csv", b"")
    second = put(tmp_path, "raw/orders/dt=2024-03-01/b.csv", b"")
    run = simulate_runs(tmp_path, [D1]).runs[D1]
    assert run.files[first].reason == run.files[second].reason == BAD_FILE


def test_rerunning_a_date_replaces_its_run(tmp_path):
    body = csv_text(",".join(HEADER), "A1,C1,2024-02-01,pending,1,1.00")
    put(tmp_path, "raw/orders/dt=2024-03-01/a.csv", body)
    put(tmp_path, "raw/orders/dt=2024-03-02/copy.csv", body, at=NOON_D2)
    once = simulate_runs(tmp_path, [D1])
    again = simulate_runs(tmp_path, [D1, D2, D1])
    assert again.runs[D1].files == once.runs[D1].files
    assert again.summaries == once.summaries


# --- across runs -------------------------------------------------------------------------
def test_summaries_use_the_latest_version_of_each_order_across_runs(tmp_path):
    header = "order_id,customer_id,order_date,status,quantity,unit_price,updated_at"
    put(
        tmp_path,
        "raw/orders/dt=2024-03-01/a.csv",
        csv_text(
            header,
            "A1,C1,2024-02-01,pending,1,10.00,2024-03-01T10:00:00Z",
            "A2,C1,2024-02-01,pending,1,10.00,",
            "A3,C1,2024-02-01,pending,1,10.00,2024-03-01T12:00:00Z",
            "A4,C1,2024-02-01,pending,1,10.00,2024-03-01T12:00:00Z",
        ),
    )
    put(
        tmp_path,
        "raw/orders/dt=2024-03-02/b.csv",
        csv_text(
            header,
            "A1,C1,2024-02-01,shipped,1,10.00,2024-03-02T09:00:00Z",  # newer: wins
            "A2,C1,2024-02-01,delivered,1,10.00,",  # both unknown: later run wins
            "A3,C1,2024-02-01,cancelled,1,10.00,2024-03-01T11:00:00Z",  # older: loses
            "A4,C1,2024-02-01,returned,1,10.00,",  # None is oldest: loses
        ),
        at=NOON_D2,
    )
    expected = {"A1": "shipped", "A2": "delivered", "A3": "pending", "A4": "pending"}
    for order in ([D1, D2], [D2, D1]):  # a backfill out of order changes nothing
        result = simulate_runs(tmp_path, order)
        assert {k: v.status for k, v in result.latest_orders.items()} == expected
        assert result.runs[D2].files["raw/orders/dt=2024-03-02/b.csv"].rows_valid == 4
        assert result.summaries["average_order_value"] == [
            {"orders": 4, "revenue": Decimal("40.00"), "average_order_value": Decimal("10.00")}
        ]


# --- summaries ---------------------------------------------------------------------------
def test_summaries_by_hand(tmp_path):
    put(
        tmp_path,
        "raw/orders/dt=2024-03-01/a.csv",
        csv_text(
            ",".join(HEADER),
            "A1,c1,2024-02-10,delivered,2,10.00",  # 20.00
            "A2,C1,2024-03-05,cancelled,1,99.99",  # no revenue
            "A3,C2,2024-02-20,shipped,3,3.335",  # 3.34 each: 10.02
            "A4,C2,2024-01-31,returned,1,5.00",  # no revenue
            "A5,C3,2024-03-01,pending,1,0.01",
            "A6,C3,2024-03-02,delivered,1,0.00",
        ),
    )
    summaries = simulate_runs(tmp_path, [D1]).summaries
    assert summaries["sales_by_customer"] == [
        {
            "customer_id": "C1",
            "orders": 2,
            "revenue": Decimal("20.00"),
            "first_order_date": date(2024, 2, 10),
            "last_order_date": date(2024, 3, 5),
        },
        {
            "customer_id": "C2",
            "orders": 2,
            "revenue": Decimal("10.02"),
            "first_order_date": date(2024, 1, 31),
            "last_order_date": date(2024, 2, 20),
        },
        {
            "customer_id": "C3",
            "orders": 2,
            "revenue": Decimal("0.01"),
            "first_order_date": date(2024, 3, 1),
            "last_order_date": date(2024, 3, 2),
        },
    ]
    assert summaries["revenue_by_month"] == [
        {
            "order_month": "2024-01",
            "orders": 1,
            "revenue": Decimal("0.00"),
            "average_order_value": None,
        },
        {
            "order_month": "2024-02",
            "orders": 2,
            "revenue": Decimal("30.02"),
            "average_order_value": Decimal("15.01"),
        },
        # 0.01 / 2 = 0.005: half-up at the very end gives 0.01 (half-even would give 0.00)
        {
            "order_month": "2024-03",
            "orders": 3,
            "revenue": Decimal("0.01"),
            "average_order_value": Decimal("0.01"),
        },
    ]
    assert summaries["status_summary"] == [
        {"status": "cancelled", "orders": 1, "share_of_orders": Decimal("0.1667")},
        {"status": "delivered", "orders": 2, "share_of_orders": Decimal("0.3333")},
        {"status": "pending", "orders": 1, "share_of_orders": Decimal("0.1667")},
        {"status": "returned", "orders": 1, "share_of_orders": Decimal("0.1667")},
        {"status": "shipped", "orders": 1, "share_of_orders": Decimal("0.1667")},
    ]
    # 30.03 over 4 paying orders = 7.5075
    assert summaries["average_order_value"] == [
        {"orders": 6, "revenue": Decimal("30.03"), "average_order_value": Decimal("7.51")}
    ]


def test_an_empty_lake_has_one_empty_average_row(tmp_path):
    summaries = simulate_runs(tmp_path, [D1]).summaries
    assert summaries["sales_by_customer"] == []
    assert summaries["average_order_value"] == [
        {"orders": 0, "revenue": Decimal("0.00"), "average_order_value": None}
    ]
