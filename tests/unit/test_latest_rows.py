"""The pure parts of latest_rows: key buckets and the latest row per key."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from glue_lib.latest_rows import key_buckets, latest_per_key, split_by_bucket
from hypothesis import given, settings
from hypothesis import strategies as st


def test_key_buckets_agree_for_equal_keys_wherever_they_sit_in_memory():
    keys = ["ORD-000001", "ORD-000002", "", "ü 東京", "x" * 200, "ORD-000001"]
    whole = key_buckets(pa.array(keys), 7)
    assert whole.dtype == np.int32 and whole.min() >= 0 and whole.max() < 7
    assert whole[0] == whole[5]
    chunked = pa.chunked_array([pa.array(["pad", *keys[:3]]).slice(1), pa.array(keys[3:])])
    assert list(key_buckets(chunked, 7)) == list(whole)
    assert list(key_buckets(pa.array(keys, pa.large_string()), 7)) == list(whole)
    assert list(key_buckets(pa.array([None, ""]), 7)) == [whole[2]] * 2


def test_key_buckets_spread_keys_that_share_a_prefix():
    keys = pa.array([f"ORD-{n:08d}" for n in range(80_000)])
    counts = np.bincount(key_buckets(keys, 8), minlength=8)
    assert counts.min() > 9_000 and counts.max() < 11_000  # 10,000 each, give or take


def test_split_by_bucket_keeps_every_row_once_in_its_keys_bucket():
    table = pa.table({"k": [f"k{n % 50}" for n in range(500)], "n": list(range(500))})
    parts = split_by_bucket(table, "k", 4)
    assert sorted(n for part in parts for n in part.column("n").to_pylist()) == list(range(500))
    for bucket, part in enumerate(parts):
        assert set(key_buckets(part.column("k"), 4)) <= {bucket}


rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "é"]),
        st.one_of(st.none(), st.integers(0, 3)),  # updated_at: ties and nulls
        st.integers(1, 3),  # file_order
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(rows)
def test_latest_per_key_keeps_what_a_window_sorted_latest_first_keeps(rows):
    table = pa.table(
        {
            "key": [r[0] for r in rows],
            "updated_at": pa.array([r[1] for r in rows], pa.int64()),
            "file_order": [r[2] for r in rows],
            "line": list(range(len(rows))),
        }
    )
    order = (("updated_at", "descending"), ("file_order", "descending"), ("line", "descending"))
    kept = latest_per_key(table, "key", order).to_pylist()

    def latest_first(row: dict) -> tuple:  # nulls last, then descending
        updated = row["updated_at"]
        return (updated is None, -(updated or 0), -row["file_order"], -row["line"])

    expected = []
    for key in sorted({r[0] for r in rows}):
        expected.append(min((r for r in table.to_pylist() if r["key"] == key), key=latest_first))
    assert kept == expected
