"""One landing full of hostile input through the real DAG: odd names, SQL-looking values,
random bytes, truncated gzip, wrong encodings, header-only, all-bad, very wide, huge fields.
Every file gets a verdict, counts match the independent oracle, nothing leaves the lake,
nothing is executed."""

from __future__ import annotations

import gzip
import os
import random
from datetime import date

import pytest
from oracle.orders_oracle import simulate_runs

from pipeline.generate.orders import generate_orders
from tests.integration.orders_lake import parquet_rows, pipeline_cli, run_record

pytestmark = pytest.mark.integration
DAY = date(2024, 5, 1)
HEADER = "order_id,customer_id,order_date,status,quantity,unit_price,country,notes\n"
SQL = "'; DROP TABLE orders; --"


def hostile_files(folder) -> dict[str, bytes]:
    rng = random.Random(5)
    good = f'o-sql-1,{SQL},2024-04-30,shipped,1,9.99,"Robert\'); DROP TABLE students;--",x\n'
    return {
        "spaced name [1] {x} *?.csv": (HEADER + "o-s1,c1,2024-04-30,pending,1,1.00,US,\n").encode(),
        "données_été_订单.csv": (HEADER + "o-u1,ç1,2024-04-30,pending,2,2.00,FR,ü\n").encode(),
        "o" * 200 + ".csv": (HEADER + "o-l1,c2,2024-04-30,pending,3,3.00,DE,\n").encode(),
        "sql values.csv": (
            HEADER + good + '1 OR 1=1,"c3",2024-04-30,shipped,1,1,US,"$(rm -rf /)"\n'
        ).encode(),
        "header only.csv": HEADER.encode(),
        "only bad rows.csv": (
            HEADER + "x,,2024-04-30,pending,1,1,US,\ny,c,nope,pending,1,1,US,\n"
        ).encode(),
        "random bytes.csv": bytes(rng.getrandbits(8) for _ in range(3000)),
        "truncated.csv.gz": gzip.compress(
            (HEADER + "o-t,c,2024-04-30,pending,1,1,US,\n" * 50).encode()
        )[:60],
        "latin1.csv": (HEADER + "o-lat,cé,2024-04-30,pending,1,1,FR,\n").encode("latin-1"),
        "wide.csv": (
            HEADER.strip()
            + ","
            + ",".join(f"extra_{i}" for i in range(3000))
            + "\n"
            + "o-w1,c9,2024-04-30,pending,1,1.00,US,n,"
            + ",".join("v" for _ in range(3000))
            + "\n"
        ).encode(),
        "huge field.csv": (
            HEADER
            + 'o-h1,c8,2024-04-30,pending,1,1.00,US,"'
            + "z" * 2_000_000
            + '"\n'
            + "o-h2,c8,2024-04-30,pending,1,1.00,US,ok\n"
        ).encode(),
    }


# names that once stopped the listing of the whole dataset (backslashes read as folders)
BACKSLASH_NAMES = ("x\\..\\..\\evil.csv", "a\\b.csv")
LINKS = {"linked.csv": "secret.csv", "linked folder": "folder", "dangling.csv": "missing.csv"}


@pytest.fixture(scope="module")
def hostile_lake(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    lake = base / "lake"
    generate_orders(str(lake), DAY, rows=300, files=2, seed=31, bad_files=3)
    folder = lake / f"raw/orders/dt={DAY}"
    for name, data in hostile_files(folder).items():
        (folder / name).write_bytes(data)
    for name in BACKSLASH_NAMES:
        (folder / name).write_bytes((HEADER + "o-bs,c,2024-04-30,pending,1,1,US,\n").encode())
    outside = base / "outside"  # what links point at: never to be read or copied
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.csv").write_bytes(
        (HEADER + "o-secret,c,2024-04-30,pending,1,1,US,\n").encode()
    )
    (outside / "folder" / "inside.csv").write_bytes((outside / "secret.csv").read_bytes())
    for name, target in LINKS.items():
        (folder / name).symlink_to(outside / target)
    before_outside = sorted(p.name for p in base.iterdir())
    result = pipeline_cli(
        "run", "orders", "--lake", str(lake), "--date", str(DAY), airflow_home=base / "af"
    )
    return lake, base, before_outside, result


def test_the_run_succeeds_and_matches_the_oracle_file_by_file(hostile_lake):
    lake, _base, _before, result = hostile_lake
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    record = run_record(lake, "orders", str(DAY))
    assert record["status"] == "success"
    expected = simulate_runs(lake, [DAY]).runs[DAY]
    got = {f["key"]: f for f in record["files"]}
    assert set(got) == set(expected.files)
    for key, want in expected.files.items():
        counts = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")
        assert {c: got[key][c] for c in counts} == {c: getattr(want, c) for c in counts}, key
        assert got[key].get("reason") == want.reason, key


def test_every_hostile_file_got_a_verdict(hostile_lake):
    lake = hostile_lake[0]
    files = {f["key"].rsplit("/", 1)[-1]: f for f in run_record(lake, "orders", str(DAY))["files"]}
    for name in ("random bytes.csv", "truncated.csv.gz", "latin1.csv"):
        assert files[name]["reason"] == "bad_file", name
    assert files["header only.csv"]["rows_read"] == 0 and "reason" not in files["header only.csv"]
    assert files["only bad rows.csv"]["rows_rejected"] == 2
    assert (
        files["huge field.csv"]["rows_rejected"] == 1 and files["huge field.csv"]["rows_valid"] == 1
    )
    assert files["wide.csv"]["rows_valid"] == 1
    for name in ("spaced name [1] {x} *?.csv", "données_été_订单.csv", "o" * 200 + ".csv"):
        assert files[name]["rows_valid"] == 1, name


def test_odd_names_and_symlinks_are_bad_files_with_their_reason(hostile_lake):
    lake = hostile_lake[0]
    files = {f["key"].rsplit("/", 1)[-1]: f for f in run_record(lake, "orders", str(DAY))["files"]}
    for name in BACKSLASH_NAMES:
        assert files[name]["reason"] == "bad_file" and "backslash" in files[name]["detail"]
        quarantined = lake / f"quarantine/orders/files/run_date={DAY}/dt={DAY}" / name
        assert quarantined.read_bytes() == (lake / f"raw/orders/dt={DAY}" / name).read_bytes()
    for name in LINKS:
        assert files[name]["reason"] == "bad_file" and "symbolic link" in files[name]["detail"]
        assert files[name]["rows_read"] == 0
    processed = {r["order_id"] for r in parquet_rows(lake / "processed/orders")}
    assert not {"o-bs", "O-BS", "o-secret", "O-SECRET"} & processed
    quarantine = lake / f"quarantine/orders/files/run_date={DAY}"
    assert not [p for p in quarantine.rglob("*") if p.name in LINKS or p.name == "inside.csv"]


def test_sql_looking_values_are_stored_verbatim_and_nothing_was_executed(hostile_lake):
    lake = hostile_lake[0]
    processed = {r["order_id"]: r for r in parquet_rows(lake / "processed/orders")}
    assert processed["o-sql-1"]["customer_id"] == SQL.upper()
    assert processed["1 OR 1=1"]["customer_id"] == "C3"
    customers = {r["customer_id"] for r in parquet_rows(lake / "enriched/orders/sales_by_customer")}
    assert SQL.upper() in customers
    assert (
        len(parquet_rows(lake / "processed/orders"))
        == run_record(lake, "orders", str(DAY))["totals"]["rows_valid"]
    )


def test_nothing_was_written_outside_the_lake(hostile_lake):
    lake, base, before, _ = hostile_lake
    assert sorted(p.name for p in base.iterdir() if p.name != "af") == [
        n for n in before if n != "af"
    ]
    for root, _dirs, names in os.walk(lake):
        for name in names:
            if name in LINKS:  # the test's own links into raw/: rejected, never followed
                continue
            assert os.path.realpath(os.path.join(root, name)).startswith(str(lake.resolve()))
