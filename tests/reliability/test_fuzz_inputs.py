"""Generated bad input at the edges: the tokeniser, the Lambda preflight and the lake paths
never crash on anything a user can upload; every record is accounted for."""

from __future__ import annotations

import csv
import gzip
import io

import pytest
from glue_lib.csv_records import MALFORMED_ROW, UnreadableHeader, parse_csv_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trigger_lambda.contracts import contract_for
from trigger_lambda.preflight import preflight
from trigger_lambda.storage import LocalStorage, ObjectInfo, UnsafeKeyError, check_key

from pipeline.lake import Lake
from pipeline.lake import UnsafeKeyError as LakeUnsafeKey

COLUMNS = ("order_id", "customer_id", "order_date", "status", "quantity", "unit_price")
HEADER = ",".join(COLUMNS) + "\n"
FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

csv_text = st.text(alphabet=st.sampled_from(list('ab1,"\n\r \t$é\x00')), max_size=400)


@FAST
@given(body=csv_text)
def test_tokeniser_accounts_for_every_record_and_never_crashes(body):
    text = HEADER + body
    try:
        records = list(parse_csv_text(text, COLUMNS))
    except UnreadableHeader:
        return
    lines = [line for line, *_ in records]
    assert lines == sorted(set(lines)) and all(line >= 2 for line in lines)
    for _line, error, _raw, values in records:
        assert error in (None, MALFORMED_ROW) and len(values) == len(COLUMNS)
    strict = csv.reader(io.StringIO(text, newline=""))
    try:
        non_blank = sum(1 for row in strict if row) - 1
    except csv.Error:
        return  # broken quoting: records are counted by our reader, not comparable
    assert len(records) <= non_blank


@FAST
@given(data=st.binary(max_size=2000), gz=st.booleans())
def test_preflight_gives_a_verdict_for_any_bytes(tmp_path, data, gz):
    key = "raw/orders/x.csv.gz" if gz else "raw/orders/x.csv"
    path = tmp_path / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    result = preflight(
        LocalStorage(str(tmp_path)), ObjectInfo(key, len(data), 0.0), contract_for("orders")
    )
    assert result.ok or result.detail
    assert len(result.sha256) == 64


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (gzip.compress(HEADER.encode())[:20], "gzip"),
        (b"order_id;customer_id\n1;2\n", "missing required column"),
        (HEADER.encode("utf-16"), "not UTF-8"),
        (b"\xff\xfe" + b"x" * 100, "not UTF-8"),
        ((",".join(f"c{i}" for i in range(5000)) + "\n").encode(), "missing required column"),
    ],
)
def test_truncated_wrongly_encoded_and_wide_files_are_bad_files(tmp_path, data, detail):
    key = "raw/orders/f.csv.gz" if detail == "gzip" else "raw/orders/f.csv"
    (tmp_path / "raw/orders").mkdir(parents=True)
    (tmp_path / key).write_bytes(data)
    result = preflight(
        LocalStorage(str(tmp_path)), ObjectInfo(key, len(data), 0.0), contract_for("orders")
    )
    assert not result.ok and detail in result.detail


segment = st.sampled_from(["..", ".", "", "a", "é", "x y", "~", "%2e%2e", "a\\b"])


@FAST
@given(parts=st.lists(segment, min_size=1, max_size=6))
def test_no_key_escapes_the_lake_root(tmp_path, parts):
    key = "/".join(parts)
    storage, lake = LocalStorage(str(tmp_path)), Lake(str(tmp_path))
    try:
        resolved = storage._path(check_key(key))
    except UnsafeKeyError:
        resolved = None
    if resolved is not None:
        assert tmp_path.resolve() in resolved.parents
    try:
        uri = lake.uri(key)
    except LakeUnsafeKey:
        return
    assert uri.startswith(str(tmp_path)) and "/../" not in uri
