"""Benchmark input: generated raw orders, cached under ``bench/data/`` (git-ignored).

One lake folder per (rows, rows per file, seed), with every raw file of one landing date
written by :func:`pipeline.generate.orders.generate_orders`. A ``.complete.json`` marker
(keys, bytes, generation seconds) is written last, so an interrupted generation is redone
and a finished one is reused by every later run.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.generate.orders import generate_orders

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
RUN_DATE = date(2024, 3, 1)
DATASET = "orders"
MARKER = ".complete.json"


@dataclass(frozen=True)
class BenchData:
    """A cached lake holding ``rows`` raw order rows in ``len(keys)`` files."""

    lake_root: Path
    rows: int
    keys: list[str]
    bytes: int
    generate_seconds: float

    @property
    def run_date(self) -> str:
        return RUN_DATE.isoformat()

    def paths(self) -> list[Path]:
        return [self.lake_root / key for key in self.keys]


def files_for(rows: int, rows_per_file: int) -> int:
    return max(1, math.ceil(rows / rows_per_file))


def ensure_data(
    rows: int, rows_per_file: int = 500_000, seed: int = 7, root: Path = DATA_DIR
) -> BenchData:
    """The cached lake for these arguments, generating it first if needed."""
    files = files_for(rows, rows_per_file)
    lake = root / f"orders-{rows}r-{files}f-s{seed}"
    marker = lake / MARKER
    if marker.exists():
        info = json.loads(marker.read_text())
        return BenchData(lake, rows, info["keys"], info["bytes"], info["generate_seconds"])
    if lake.exists():
        shutil.rmtree(lake)
    lake.mkdir(parents=True)
    started = time.monotonic()
    keys = generate_orders(str(lake), RUN_DATE, rows=rows, files=files, seed=seed)
    seconds = round(time.monotonic() - started, 1)
    size = sum((lake / key).stat().st_size for key in keys)
    marker.write_text(json.dumps({"keys": keys, "bytes": size, "generate_seconds": seconds}))
    return BenchData(lake, rows, keys, size, seconds)


def reset_outputs(data: BenchData) -> None:
    """Remove what earlier benchmark runs wrote into the lake (everything but ``raw/``)."""
    for child in data.lake_root.iterdir():
        if child.name not in ("raw", MARKER):
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()


def write_manifest(data: BenchData) -> tuple[str, float]:
    """Write the run's manifest with the real trigger Lambda, in-process; (uri, seconds)."""
    from trigger_lambda.events import build_event
    from trigger_lambda.handler import handler

    started = time.monotonic()
    event = build_event(str(data.lake_root), DATASET, data.run_date, data.keys)
    response = handler(event, None)
    if not response.get("ok"):
        raise RuntimeError(f"trigger Lambda refused the event: {response.get('error')}")
    return response["manifest_uri"], time.monotonic() - started
