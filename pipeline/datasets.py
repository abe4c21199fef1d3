"""The datasets the product knows, and what each plugs into the shared pipeline."""

from __future__ import annotations

from dataclasses import dataclass

from .config import REPO_ROOT


class UnknownDataset(ValueError):
    """A dataset name the product does not know."""


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: its Glue job, processed tables, expectation suites and summary SQL.

    ``tables`` are every processed table the job writes, ``processed/<table>/``: each one
    is crawled, validated with ``expectations/<table>.json`` and listed. The first holds
    the run's valid rows; ``aggregates`` names those of them the job rewrites as a whole
    from the whole processed history on every run (one unpartitioned table, not one
    ``run_date`` partition per run, e.g. ``order_totals``): they are validated as a whole
    table, with no expected row count, and take no part in the run's reconciliation.
    """

    name: str
    job_script: str  # relative to the repo root
    tables: tuple[str, ...]
    summaries: tuple[str, ...]
    description: str = ""
    # Where the processed records are also loaded, e.g. ("postgres",): each sink adds a
    # step (SINK_STEPS) after validation; datasets without sinks keep the seven steps.
    sinks: tuple[str, ...] = ()
    aggregates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not set(self.aggregates) <= set(self.tables[1:]):
            raise ValueError(
                f"{self.name}: aggregates {self.aggregates} must be tables after the first"
            )

    def is_aggregate(self, table: str) -> bool:
        """Whether ``table`` is rewritten whole each run (no ``run_date`` partitions)."""
        return table in self.aggregates

    @property
    def run_tables(self) -> tuple[str, ...]:
        """The tables holding one ``run_date`` partition per run (reconciled per run)."""
        return tuple(t for t in self.tables if t not in self.aggregates)

    @property
    def extra_steps(self) -> tuple[str, ...]:
        return tuple(SINK_STEPS[sink] for sink in self.sinks)

    @property
    def job_path(self):
        return REPO_ROOT / self.job_script

    @property
    def sql_dir(self):
        return REPO_ROOT / "sql" / self.name

    def suite_path(self, table: str):
        return REPO_ROOT / "expectations" / f"{table}.json"

    @property
    def dag_id(self) -> str:
        return f"{self.name}_pipeline"


SINK_STEPS = {"postgres": "load_postgres"}

DATASETS: dict[str, DatasetSpec] = {
    "orders": DatasetSpec(
        name="orders",
        job_script="glue_jobs/orders_job.py",
        tables=("orders", "order_totals"),
        summaries=(
            "sales_by_customer",
            "revenue_by_month",
            "status_summary",
            "average_order_value",
        ),
        description="Order exports (CSV) cleaned, deduplicated and summarised.",
        # Totals per order date, customer and status over the latest version of each
        # order (glue_lib.aggregates.order_totals), which the summaries read.
        aggregates=("order_totals",),
    ),
    "salaries": DatasetSpec(
        name="salaries",
        job_script="glue_jobs/salaries_job.py",
        tables=("salaries",),
        summaries=("salary_by_country", "india_vs_us"),
        description="HR salary exports (CSV): pay per country, India and the US side by side.",
    ),
    "invoices": DatasetSpec(
        name="invoices",
        job_script="glue_jobs/invoices_job.py",
        tables=("invoices", "invoice_lines"),
        summaries=("revenue_by_customer", "monthly_invoicing"),
        description="Text invoices parsed into headers and lines, checked, loaded into "
        "PostgreSQL and summarised.",
        sinks=("postgres",),
    ),
}


def get_dataset(name: str) -> DatasetSpec:
    """The spec for ``name``, or a clear error listing the known datasets."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise UnknownDataset(f"unknown dataset {name!r}; known datasets: {known}") from None
