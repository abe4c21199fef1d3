"""The dashboard's charts: which chart fits a summary, and its Vega-Lite spec.

Pure functions; no data is read here. :func:`choose_chart` picks the chart from a
summary's column names and kinds (a hint per known summary, else a generic rule);
:func:`summary_spec` and :func:`rejections_spec` turn the chart's points into the
Vega-Lite spec that the page renders with vega-embed. A chart is one of:

- ``line``: values over an ordered label (a month, a date), in label order;
- ``bar``: one horizontal bar per label, in the summary's order, or the top N by value
  when there are more rows than fit;
- ``kpi``: a one-row summary, shown as figures rather than drawn;
- ``none``: nothing to draw (no rows, or no label/number column pair).

The generic rule: the first text or date column gives the labels, the first numeric
column (other than the label) the values; a date-like label (a date type, or a name such
as ``order_month``) makes a line, anything else bars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

TOP_N = 12  # bars drawn at most; more rows than this show the top N by value
MAX_LINE_POINTS = 500  # a longer series shows its latest points

TEXT, NUMBER, DATE, OTHER = "text", "number", "date", "other"
_TIME_NAME = re.compile(r"(^|_)(date|day|week|month|quarter|year|period|time)(_|$)")


@dataclass(frozen=True)
class ChartHint:
    """The chart a known summary should get (checked against its real columns)."""

    kind: str
    label: str | None = None
    value: str | None = None
    top: int | None = None  # bars drawn at most (default TOP_N)


# (dataset, summary) -> hint. Datasets without hints get the generic rule.
CHART_HINTS: dict[tuple[str, str], ChartHint] = {
    ("orders", "revenue_by_month"): ChartHint("line", "order_month", "revenue"),
    ("orders", "status_summary"): ChartHint("bar", "status", "orders"),
    ("orders", "sales_by_customer"): ChartHint("bar", "customer_id", "revenue"),
    ("orders", "average_order_value"): ChartHint("kpi"),
    ("invoices", "monthly_invoicing"): ChartHint("line", "invoice_month", "total"),
    ("invoices", "revenue_by_customer"): ChartHint("bar", "customer_id", "total"),
    # Salaries are in each country's own currency: only headcounts compare across rows.
    ("salaries", "salary_by_country"): ChartHint("bar", "country", "headcount"),
    ("salaries", "india_vs_us"): ChartHint("bar", "country", "headcount"),
}


@dataclass(frozen=True)
class ChartSpec:
    """What to draw for one summary."""

    kind: str  # line | bar | kpi | none
    label: str | None = None
    value: str | None = None
    top: int | None = None  # bars: only the top N rows by value
    title: str = ""

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "value": self.value,
            "top": self.top,
            "title": self.title,
        }


def column_kind(arrow_type: pa.DataType) -> str:
    """``text``, ``number``, ``date`` or ``other`` for an Arrow column type."""
    t = arrow_type
    if pa.types.is_dictionary(t):
        return column_kind(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return TEXT
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return NUMBER
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        return DATE
    return OTHER


def choose_chart(
    dataset: str, summary: str, columns: list[tuple[str, str]], row_count: int
) -> ChartSpec:
    """The chart for ``dataset``/``summary`` with ``columns`` as ``(name, kind)`` pairs."""
    if row_count == 0:
        return ChartSpec("none", title="no rows")
    kinds = dict(columns)
    hint = CHART_HINTS.get((dataset, summary))
    if hint is not None and hint.kind == "kpi":
        return ChartSpec("kpi", title=summary.replace("_", " "))
    if (
        hint is not None
        and kinds.get(hint.label) in (TEXT, DATE, NUMBER)
        and kinds.get(hint.value) == NUMBER
    ):
        return _spec(hint.kind, hint.label, hint.value, _top(hint.kind, row_count, hint.top))
    if row_count == 1:
        return ChartSpec("kpi", title=summary.replace("_", " "))
    label = next((name for name, kind in columns if kind in (TEXT, DATE)), None)
    value = next((name for name, kind in columns if kind == NUMBER and name != label), None)
    if label is None or value is None:
        return ChartSpec("none", title="no label and number columns to chart")
    if kinds[label] == DATE or _TIME_NAME.search(label.lower()):
        return _spec("line", label, value, None)
    return _spec("bar", label, value, _top("bar", row_count, None))


def _top(kind: str, row_count: int, top: int | None) -> int | None:
    """Bars show at most ``top`` (default :data:`TOP_N`) rows: the largest values."""
    limit = top or TOP_N
    return limit if kind == "bar" and row_count > limit else None


def _spec(kind: str, label: str, value: str, top: int | None) -> ChartSpec:
    title = f"top {top} {label} by {value}" if top else f"{value} by {label}"
    return ChartSpec(kind, label, value, top, title)


# --- Vega-Lite specs ----------------------------------------------------------------------
# Built here, in Python, so each spec is a pure function of the data that unit tests can
# check without a browser; the page only hands them to vega-embed. No "$schema" (it would be
# a URL): the page tells vega-embed the mode instead.
ACCENT = "#2f6fd6"  # the page's --accent
BAD = "#c2412d"  # the page's --bad
BAR_ROW_PX = 22  # height of one bar's row
LABEL_LIMIT_PX = 180  # longer labels are cut with an ellipsis (the tooltip has them whole)
CHART_CONFIG = {
    "font": "system-ui, sans-serif",
    "view": {"stroke": None},
    "axis": {"labelColor": "#667085", "titleColor": "#667085", "gridColor": "#e3e6eb"},
}


def bar_spec(points: list[dict], value_title: str, color: str = ACCENT) -> dict:
    """Horizontal bars, one per ``{label, value}`` point, in the points' order, values beside."""
    bar = {"mark": {"type": "bar", "color": color, "tooltip": True, "cornerRadiusEnd": 3}}
    text = {
        "mark": {"type": "text", "align": "left", "dx": 4, "color": "#1d2330", "aria": False},
        "encoding": {"text": {"field": "value", "type": "quantitative", "format": ",.2~f"}},
    }
    return {
        "data": {"values": _values(points)},
        "width": "container",
        "height": {"step": BAR_ROW_PX},
        "encoding": {
            "y": {
                "field": "label",
                "type": "nominal",
                "sort": None,
                "title": None,
                "axis": {"labelLimit": LABEL_LIMIT_PX},
            },
            "x": {
                "field": "value",
                "type": "quantitative",
                "title": value_title,
                # counts get whole-number ticks (no "0.5 rows")
                "axis": {"tickMinStep": 1} if _whole(points) else {},
            },
        },
        "layer": [bar, text],
        "config": CHART_CONFIG,
    }


def line_spec(points: list[dict], label_title: str, value_title: str) -> dict:
    """A line over the points' labels in their order, a dot per value; a null is a gap."""
    return {
        "data": {"values": _values(points)},
        "width": "container",
        "height": 220,
        "mark": {
            "type": "line",
            "color": ACCENT,
            "point": {"color": ACCENT, "size": 40},
            "tooltip": True,
            "invalid": "break-paths-filter-domains",
        },
        "encoding": {
            "x": {
                "field": "label",
                "type": "ordinal",
                "sort": None,
                "title": label_title,
                "axis": {"labelAngle": 0, "labelOverlap": True},
            },
            "y": {"field": "value", "type": "quantitative", "title": value_title},
        },
        "config": CHART_CONFIG,
    }


def summary_spec(chart: ChartSpec, points: list[dict]) -> dict | None:
    """The Vega-Lite spec of a summary's chart, or None when it draws nothing."""
    if not points or chart.kind not in ("bar", "line"):
        return None
    if chart.kind == "bar":
        return bar_spec(points, chart.value or "value")
    return line_spec(points, chart.label or "label", chart.value or "value")


def rejections_spec(rejections_by_reason: dict[str, int]) -> dict | None:
    """Bars of rejected rows per reason, largest first; None when nothing was rejected."""
    points = [
        {"label": reason, "value": rows}
        for reason, rows in sorted(rejections_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return bar_spec(points, "rows rejected", BAD) if points else None


def _whole(points: list[dict]) -> bool:
    return all(p["value"] is None or float(p["value"]).is_integer() for p in points)


def _values(points: list[dict]) -> list[dict]:
    return [{"label": p["label"], "value": p["value"]} for p in points]
