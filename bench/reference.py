"""What the reference engines (DuckDB, pandas) share: the run's files, their headers, the
contract's constants and the result shape every engine reports.

The references apply the orders contract (``/work/shared/contracts/orders.md``) to the
files the trigger Lambda accepted (the manifest), then compute ``revenue_by_month`` over
the deduplicated valid rows, as ``sql/orders/revenue_by_month.sql`` does over
``orders_latest`` (one run, so the latest version of an order is the run's kept row).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

REQUIRED = ("order_id", "customer_id", "order_date", "status", "quantity", "unit_price")
COLUMNS = (*REQUIRED, "country", "updated_at")
NON_REVENUE = ("cancelled", "returned")
MAX_INT = 2_147_483_647
MAX_PRICE = "9999999999.99"
MAX_AMOUNT = "999999999999.99"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
SLASH_YMD = r"\d{4}/\d{2}/\d{2}"
US_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?"
QUANTITY = r"\+?\d{1,10}"
PRICE = r"\$?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RunFile:
    """One accepted file of the run: where it is, its landing order and its header."""

    path: Path
    key: str
    order: int
    header: list[str]

    def position(self, column: str) -> int | None:
        return self.header.index(column) if column in self.header else None


def run_files(manifest_path: str | Path) -> list[RunFile]:
    """The manifest's accepted files with their normalised headers (trimmed, lower-case)."""
    manifest = json.loads(Path(manifest_path).read_text())
    root = Path(manifest["lake_root"])
    files = []
    for entry in manifest["files"]:
        if entry["status"] != "accepted":
            continue
        path = root / entry["key"]
        files.append(RunFile(path, entry["key"], int(entry["order"]), read_header(path)))
    return files


def read_header(path: Path) -> list[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as stream:
        head = stream.read(64 * 1024).decode("utf-8-sig", errors="replace")
    rows = csv.reader(io.StringIO(head, newline=""))
    header = next(row for row in rows if row)
    return [name.strip(" ").lower() for name in header]


def month_rows(groups: list[tuple[str, int, int, Decimal | int | float | str]]) -> list[dict]:
    """``(order_month, orders, paying_orders, revenue)`` groups as revenue_by_month rows.

    Revenue and average_order_value are exact decimals rounded half-up to cents at the
    end, as the contract asks (``revenue`` may come in as cents when an int).
    """
    rows = []
    for month, orders, paying, revenue in sorted(groups):
        value = Decimal(revenue) / 100 if isinstance(revenue, int) else Decimal(str(revenue))
        aov = (value / paying).quantize(CENT, ROUND_HALF_UP) if paying else None
        rows.append(
            {
                "order_month": month,
                "orders": int(orders),
                "revenue": str(value.quantize(CENT, ROUND_HALF_UP)),
                "average_order_value": None if aov is None else str(aov),
            }
        )
    return rows
