"""Landing dates and which files a run for a logical date picks up."""

import json
import os
from datetime import UTC, date, datetime

from pipeline.lake import Lake
from pipeline.landing import RawFile, files_landed_on, landing_date
from pipeline.steps.sense import find_new_files

NOON = datetime(2024, 3, 5, 12, tzinfo=UTC).timestamp()


def test_date_in_key_wins_over_modification_time():
    assert landing_date("raw/orders/dt=2024-03-01/x.csv", NOON) == date(2024, 3, 1)
    assert landing_date("raw/orders/2024/03/02/x.csv.gz", NOON) == date(2024, 3, 2)
    assert landing_date("raw/orders/x.csv", NOON) == date(2024, 3, 5)
    assert landing_date("raw/orders/dt=2024-02-30/x.csv", NOON) == date(2024, 3, 5)
    assert landing_date("raw/orders/v2024/03/02x/x.csv", NOON) == date(2024, 3, 5)


def test_files_landed_on_excludes_processed_and_orders_by_time():
    files = [
        RawFile("raw/orders/dt=2024-03-01/b.csv", 10, 2.0),
        RawFile("raw/orders/dt=2024-03-01/a.csv", 10, 1.0),
        RawFile("raw/orders/dt=2024-03-02/c.csv", 10, 1.0),
        RawFile("raw/orders/dt=2024-03-01/done.csv", 10, 1.0),
    ]
    chosen = files_landed_on(
        files, date(2024, 3, 1), [("raw/orders/dt=2024-03-01/done.csv", 10, 1.0)]
    )
    assert [f.key for f in chosen] == [
        "raw/orders/dt=2024-03-01/a.csv",
        "raw/orders/dt=2024-03-01/b.csv",
    ]


def test_find_new_files_skips_other_suffixes_and_files_of_successful_runs(lake_root):
    folder = lake_root / "raw/orders/dt=2024-03-01"
    folder.mkdir(parents=True)
    for name in ("a.csv", "b.CSV.GZ", "notes.txt", "_SUCCESS", ".hidden.csv"):
        (folder / name).write_text("x")
    loose = lake_root / "raw/orders/loose.csv"
    loose.write_text("y")
    os.utime(loose, (NOON, NOON))
    found = find_new_files(Lake(str(lake_root)), "orders", date(2024, 3, 1))
    assert [f.key.rsplit("/", 1)[-1] for f in found] == ["a.csv", "b.CSV.GZ"]

    stat = loose.stat()
    record = {
        "status": "success",
        "files": [
            {
                "key": "raw/orders/loose.csv",
                "sha256": "x",
                "size": stat.st_size,
                "modified": stat.st_mtime,
            }
        ],
    }
    run = lake_root / "_runs/orders/2024-03-04/run.json"
    run.parent.mkdir(parents=True)
    run.write_text(json.dumps(record))
    assert find_new_files(Lake(str(lake_root)), "orders", date(2024, 3, 5)) == []
