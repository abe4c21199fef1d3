"""What the shared CSV job needs to know of one dataset: a typed object, not a module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame


@dataclass(frozen=True)
class Aggregate:
    """A table the job derives from the whole processed history after each run (replaced
    whole): ``build`` takes every processed row of every run, ``run_date`` included."""

    table: str
    build: Callable[[DataFrame], DataFrame]


@dataclass(frozen=True)
class CsvDataset:
    """One CSV dataset: its processed table, raw contract columns, dedupe key and order,
    and its rules.

    ``clean`` adds the cleaned columns and ``reason`` (null for a clean row) to parsed
    records; ``latest_first`` orders the valid rows of one key, the one to keep first (a
    function: Spark columns need a running session).
    """

    name: str
    table: str
    columns: tuple[str, ...]
    processed_columns: tuple[str, ...]
    key: str
    latest_first: Callable[[], list[Column]]
    clean: Callable[[DataFrame], DataFrame]
    aggregates: tuple[Aggregate, ...] = ()
