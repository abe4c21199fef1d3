"""Great Expectations (GX Core 1.x) validation of a Spark DataFrame against a JSON suite.

Everything GX-specific lives here so the Glue entry script stays thin and the logic can be
unit-tested against the shared local SparkSession:

* :func:`load_suite` turns version-controlled suite JSON (GX 1.x shape: ``name``,
  ``expectations`` of ``{"type", "kwargs"}``, ``meta``) into an ``ExpectationSuite``, failing
  loudly on an unknown or malformed expectation (GX itself only logs and drops those).
* :func:`validate_dataframe` runs the suite through an *ephemeral* Data Context (no ``gx/``
  project folder anywhere) with a Spark dataframe asset, a Validation Definition and a
  Checkpoint whose ``UpdateDataDocsAction`` renders Data Docs into a local directory.
* :func:`format_report` renders a :class:`ValidationReport` as readable log lines, one per
  failed expectation.

GX 1.x ships only a filesystem store backend for Data Docs (the ``TupleS3StoreBackend`` of
0.x was removed in 1.0), so docs are always rendered into a local directory; publishing that
directory to an ``s3://`` lake is the caller's job (see ``validate_job.publish_tree``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    from great_expectations.core.expectation_suite import ExpectationSuite
    from pyspark.sql import DataFrame

DATA_DOCS_SITE = "lake_site"
DATASOURCE_NAME = "lake"
# Result keys that are bookkeeping, not expectation arguments worth reporting.
_IGNORED_KWARGS = {"batch_id", "result_format", "include_config", "catch_exceptions"}
_MAX_TEXT = 160


class ValidationSetupError(ValueError):
    """The suite or its parameters cannot be used: a configuration error, not bad data."""


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that did not hold, with what GX observed."""

    type: str
    column: str | None
    kwargs: dict[str, Any]
    observed: Any
    summary: str

    def line(self) -> str:
        """``<type> [<column>]: <observed summary>`` on a single line."""
        return f"{self.type} [{self.column or 'table'}]: {self.summary}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of one suite run, JSON-ready (see :meth:`to_dict`)."""

    success: bool
    suite_name: str
    evaluated_expectations: int
    successful_expectations: int
    unsuccessful_expectations: int
    failed_expectations: list[FailedExpectation] = field(default_factory=list)
    run_name: str | None = None
    data_docs_index_uri: str | None = None
    data_docs_page_uri: str | None = None

    @property
    def statistics(self) -> dict[str, Any]:
        evaluated = self.evaluated_expectations
        return {
            "evaluated_expectations": evaluated,
            "successful_expectations": self.successful_expectations,
            "unsuccessful_expectations": self.unsuccessful_expectations,
            "success_percent": (
                round(100.0 * self.successful_expectations / evaluated, 2) if evaluated else None
            ),
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``validation.json`` shape: verdict, statistics, failures, Data Docs links."""
        return {
            "success": self.success,
            "suite_name": self.suite_name,
            "run_name": self.run_name,
            "statistics": self.statistics,
            "failed_expectations": [asdict(f) for f in self.failed_expectations],
            "data_docs": self.data_docs_index_uri,
            "data_docs_page": self.data_docs_page_uri,
        }


# --- suite loading -------------------------------------------------------------------------


def load_suite(suite_json: str | Mapping[str, Any]) -> ExpectationSuite:
    """Build an ``ExpectationSuite`` from suite JSON text (or an already parsed mapping).

    Raises :class:`ValidationSetupError` naming the bad expectation instead of letting GX
    log-and-drop it (``ExpectationSuite(expectations=[...])`` silently skips entries whose
    type is unknown or whose kwargs do not validate).
    """
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    raw = _parse_suite_json(suite_json)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ValidationSetupError("suite JSON needs a non-empty string 'name'")
    entries = raw.get("expectations")
    if not isinstance(entries, list) or not entries:
        raise ValidationSetupError(f"suite {name!r}: 'expectations' must be a non-empty list")

    configs = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("type"), str):
            raise ValidationSetupError(
                f"suite {name!r}: expectation #{index} needs a string 'type' and 'kwargs' "
                "(GX 1.x suite JSON; 0.x called it 'expectation_type')"
            )
        label = f"suite {name!r}: expectation #{index} ({entry['type']})"
        # ids belong to a stored suite; this one is rebuilt from the file on every run
        entry_fields = {key: value for key, value in entry.items() if key != "id"}
        entry_fields.setdefault("kwargs", {})
        try:
            config = ExpectationConfiguration(**entry_fields)
            config.to_domain_obj()  # resolves the type and validates kwargs
        except Exception as exc:
            raise ValidationSetupError(f"{label} is invalid: {_one_line(exc)}") from exc
        configs.append(config)

    suite = gx.ExpectationSuite(
        name=name,
        expectations=configs,
        suite_parameters=raw.get("suite_parameters") or None,
        meta=dict(raw.get("meta") or {}),
        notes=raw.get("notes"),
    )
    if len(suite.expectations) != len(configs):  # belt and braces, see docstring
        raise ValidationSetupError(
            f"suite {name!r}: GX kept {len(suite.expectations)} of {len(configs)} expectations"
        )
    return suite


def suite_parameter_names(suite: ExpectationSuite) -> set[str]:
    """Names used as ``{"$PARAMETER": name}`` in the suite (values supplied at run time)."""
    return set(suite.suite_parameter_options)


def suite_columns(suite_json: str | Mapping[str, Any]) -> list[str] | None:
    """The column set the suite's table-columns expectation requires (``None`` if none)."""
    raw = _parse_suite_json(suite_json)
    for entry in raw.get("expectations") or []:
        kwargs = entry.get("kwargs") or {}
        if entry.get("type") == "expect_table_columns_to_match_set":
            return list(kwargs.get("column_set") or [])
        if entry.get("type") == "expect_table_columns_to_match_ordered_list":
            return list(kwargs.get("column_list") or [])
    return None


def _parse_suite_json(suite_json: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(suite_json, Mapping):
        return dict(suite_json)
    try:
        raw = json.loads(suite_json)
    except json.JSONDecodeError as exc:
        raise ValidationSetupError(f"suite is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValidationSetupError("suite JSON must be an object")
    return raw


# --- running -------------------------------------------------------------------------------


def validate_dataframe(
    df: DataFrame,
    suite_json: str | Mapping[str, Any],
    parameters: Mapping[str, Any] | None = None,
    data_docs_dir: str | Path | None = None,
    *,
    asset_name: str | None = None,
    run_name: str | None = None,
) -> ValidationReport:
    """Validate ``df`` against the suite and (optionally) render Data Docs.

    ``parameters`` supplies every ``{"$PARAMETER": name}`` the suite uses (a missing one is a
    :class:`ValidationSetupError`, not a failed expectation). ``data_docs_dir`` is a *local*
    directory that receives ``index.html`` plus this run's suite and validation pages; GX
    prunes pages it has no record of from that directory when it rebuilds the index, so give
    it a fresh directory and copy the result wherever the site lives. ``run_name`` labels the
    run in Data Docs (e.g. the run date).
    """
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier

    suite = load_suite(suite_json)
    params = dict(parameters or {})
    missing = sorted(suite_parameter_names(suite) - set(params))
    if missing:
        raise ValidationSetupError(
            f"suite {suite.name!r} needs parameter(s) {', '.join(missing)}; none given"
        )

    docs_dir = Path(data_docs_dir).resolve() if data_docs_dir is not None else None
    context = _ephemeral_context(docs_dir)
    suite = context.suites.add(suite)
    batch_definition = (
        context.data_sources.add_spark(name=DATASOURCE_NAME)
        .add_dataframe_asset(name=asset_name or suite.name)
        .add_batch_definition_whole_dataframe("whole_dataframe")
    )
    validation_definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite.name}_validation", data=batch_definition, suite=suite)
    )
    actions = (
        [UpdateDataDocsAction(name="update_data_docs", site_names=[DATA_DOCS_SITE])]
        if docs_dir is not None
        else []
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{suite.name}_checkpoint",
            validation_definitions=[validation_definition],
            actions=actions,
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5},
        )
    )
    was_cached = df.is_cached
    try:
        result = checkpoint.run(
            batch_parameters={"dataframe": df},
            expectation_parameters=params,
            # explicit run_time: GX would otherwise parse a date-like run_name as the run time
            run_id=RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC)),
        )
    finally:
        if not was_cached:  # GX persists the frame it validates; leave no cache behind
            df.unpersist()
    [(result_id, suite_result)] = result.run_results.items()

    index_uri = page_uri = None
    if docs_dir is not None:
        index_uri = str(docs_dir / "index.html")
        urls = context.get_docs_sites_urls(resource_identifier=result_id, site_name=DATA_DOCS_SITE)
        if urls and urls[0].get("site_url"):
            page_uri = unquote(urlparse(urls[0]["site_url"]).path)

    stats = suite_result.statistics
    failures = [_failure(r) for r in suite_result.results if not r.success]
    return ValidationReport(
        success=bool(suite_result.success),
        suite_name=suite.name,
        evaluated_expectations=int(stats.get("evaluated_expectations", 0)),
        successful_expectations=int(stats.get("successful_expectations", 0)),
        unsuccessful_expectations=int(stats.get("unsuccessful_expectations", 0)),
        failed_expectations=failures,
        run_name=run_name,
        data_docs_index_uri=index_uri,
        data_docs_page_uri=page_uri,
    )


def _ephemeral_context(docs_dir: Path | None):
    """An in-memory Data Context whose only Data Docs site (if any) is ``docs_dir``.

    ``gx.get_context(mode="ephemeral")`` alone would add a default site in a throwaway temp
    directory (built by every ``UpdateDataDocsAction``), so the config is spelled out.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites[DATA_DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),  # no tqdm bars in job logs
    )
    return gx.get_context(mode="ephemeral", project_config=config)


# --- reporting -----------------------------------------------------------------------------


def _failure(result) -> FailedExpectation:
    config = result.expectation_config
    kwargs = {k: _plain(v) for k, v in config.kwargs.items() if k not in _IGNORED_KWARGS}
    observed, summary = _observed(result.result or {}, _exception_message(result))
    return FailedExpectation(
        type=config.type,
        column=_column_of(kwargs),
        kwargs=kwargs,
        observed=observed,
        summary=_clip(summary + _expected_text(kwargs)),
    )


def _column_of(kwargs: Mapping[str, Any]) -> str | None:
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs and "column_B" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if "column_list" in kwargs and isinstance(kwargs["column_list"], list):
        return ",".join(map(str, kwargs["column_list"]))
    return None


def _observed(result: Mapping[str, Any], error: str | None) -> tuple[Any, str]:
    if error:
        return {"error": error}, f"could not be evaluated: {error}"
    if "unexpected_count" in result:
        observed = {
            key: _plain(result.get(key))
            for key in (
                "element_count",
                "unexpected_count",
                "unexpected_percent",
                "missing_count",
                "partial_unexpected_list",
            )
            if key in result
        }
        percent = result.get("unexpected_percent")
        share = f" ({percent:.2f}%)" if isinstance(percent, int | float) else ""
        sample = observed.get("partial_unexpected_list") or []
        text = (
            f"{result['unexpected_count']} of {result.get('element_count', '?')} rows "
            f"unexpected{share}"
        )
        if sample:
            text += f", e.g. {json.dumps(sample[:5], default=str)}"
        return observed, text
    if "observed_value" in result:
        observed = _plain(result["observed_value"])
        text = f"observed {json.dumps(observed, default=str)}"
        mismatched = (result.get("details") or {}).get("mismatched")
        if isinstance(mismatched, Mapping):
            extra = _plain(mismatched.get("unexpected") or [])
            lacking = _plain(mismatched.get("missing") or [])
            observed = {"observed_value": observed, "unexpected": extra, "missing": lacking}
            text = f"unexpected columns {extra}, missing columns {lacking}"
        return observed, text
    return _plain(dict(result)), "failed (no observed value reported)"


def _expected_text(kwargs: Mapping[str, Any]) -> str:
    rest = {k: v for k, v in kwargs.items() if k not in ("column", "column_A", "column_B")}
    if not rest:
        return ""
    return "; expected " + ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in rest.items())


def _exception_message(result) -> str | None:
    info = result.exception_info or {}
    candidates = [info] if "raised_exception" in info else list(info.values())
    for item in candidates:
        if isinstance(item, Mapping) and item.get("raised_exception"):
            return _one_line(item.get("exception_message") or "exception raised")
    return None


def format_report(report: ValidationReport) -> str:
    """A readable multi-line report: a verdict line, then one line per failed expectation."""
    verdict = "PASSED" if report.success else "FAILED"
    head = (
        f"suite {report.suite_name!r} {verdict}: {report.successful_expectations} of "
        f"{report.evaluated_expectations} expectations met"
    )
    if report.run_name:
        head += f" (run {report.run_name})"
    lines = [head]
    lines += [f"  FAILED {failure.line()}" for failure in report.failed_expectations]
    if report.data_docs_index_uri:
        lines.append(f"  data docs: {report.data_docs_index_uri}")
    return "\n".join(lines)


def failure_message(report: ValidationReport) -> str:
    """One line for the process exit: which expectations failed, on which columns."""
    failed = ", ".join(f"{f.type}[{f.column or 'table'}]" for f in report.failed_expectations[:6])
    more = len(report.failed_expectations) - 6
    if more > 0:
        failed += f" and {more} more"
    return (
        f"suite {report.suite_name!r} failed {report.unsuccessful_expectations} of "
        f"{report.evaluated_expectations} expectations: {failed}"
    )


def _plain(value: Any) -> Any:
    """JSON-friendly copy: Decimals as strings, dates as ISO text, numpy scalars unwrapped."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        try:
            return _plain(value.item())
        except (TypeError, ValueError):
            pass
    return str(value)


def _one_line(value: Any) -> str:
    text = " ".join(str(value).split())
    return _clip(text)


def _clip(text: str, limit: int = _MAX_TEXT * 2) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
