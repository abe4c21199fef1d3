"""What the preflight checks per dataset: file suffixes, format and header columns.

The Glue job applies the row rules; the Lambda only decides whether a file can be read
as its dataset's contract at all (otherwise it is quarantined whole as ``bad_file``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class FileContract:
    dataset: str
    suffixes: tuple[str, ...]
    required_columns: tuple[str, ...] = ()
    file_format: str = "csv"  # csv: header checked; text: one record per file

    def accepts_name(self, key: str) -> bool:
        name = key.rsplit("/", 1)[-1]
        return not name.startswith((".", "_")) and name.lower().endswith(self.suffixes)


def name_problem(key: str) -> str | None:
    """Why the pipeline will not process a file under this key, or None.

    A backslash reads as a folder separator to Windows tools, and to anything that
    "normalises" paths, so the same key could name another file there
    (``x\\..\\..\\evil.csv``); control characters break log lines and lineage columns.
    Such a file is quarantined whole as ``bad_file`` with this reason, and the rest of the
    landing goes on.
    """
    if "\\" in key:
        return "file name contains a backslash ('\\'): rename it with '/' folders only"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in key):
        return "file name contains control characters or bytes that are not UTF-8"
    return None


CONTRACTS: dict[str, FileContract] = {
    "orders": FileContract(
        dataset="orders",
        suffixes=(".csv", ".csv.gz"),
        required_columns=(
            "order_id",
            "customer_id",
            "order_date",
            "status",
            "quantity",
            "unit_price",
        ),
    ),
    "salaries": FileContract(
        dataset="salaries",
        suffixes=(".csv", ".csv.gz"),
        required_columns=("employee_id", "country", "salary"),
    ),
    "invoices": FileContract(dataset="invoices", suffixes=(".txt",), file_format="text"),
}


def contract_for(dataset: str) -> FileContract:
    try:
        return CONTRACTS[dataset]
    except KeyError:
        known = ", ".join(sorted(CONTRACTS))
        raise ValueError(f"unknown dataset {dataset!r} (known: {known})") from None
