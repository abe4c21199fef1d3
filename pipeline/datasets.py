"""The datasets the product knows, and what each plugs into the shared pipeline."""

from __future__ import annotations

from dataclasses import dataclass

from .config import REPO_ROOT


class UnknownDataset(ValueError):
    """A dataset name the product does not know."""


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: its Glue job, processed tables, expectation suites and summary SQL."""

    name: str
    job_script: str  # relative to the repo root
    tables: tuple[str, ...]
    summaries: tuple[str, ...]
    description: str = ""
    # Where the processed records are also loaded, e.g. ("postgres",): each sink adds a
    # step (SINK_STEPS) after validation; datasets without sinks keep the seven steps.
    sinks: tuple[str, ...] = ()

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
        tables=("orders",),
        summaries=(
            "sales_by_customer",
            "revenue_by_month",
            "status_summary",
            "average_order_value",
        ),
        description="Order exports (CSV) cleaned, deduplicated and summarised.",
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
