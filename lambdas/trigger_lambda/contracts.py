"""What the preflight checks per dataset: file suffixes, format and header columns.

The Glue job applies the row rules; the Lambda only decides whether a file can be read
as its dataset's contract at all (otherwise it is quarantined whole as ``bad_file``).
"""

from __future__ import annotations

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
