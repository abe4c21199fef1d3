"""A slow, obviously-correct model of the salaries pipeline, for tests to compare against.

It re-implements the salaries contract (``contracts/salaries.md`` and the decisions in
``glue_lib/salaries.py``'s docstring) one row at a time with the standard library,
pycountry and exact ``Decimal`` arithmetic. It shares no code with the pipeline; the
contract-neutral file handling (landing dates, decoding, CSV records, RFC 4180 quoting)
is the orders oracle's, since both contracts share the same file rules.

Entry points: :func:`simulate_runs` (what each run and the summaries must contain),
:func:`parse_file` / :func:`clean_record` (one file, one row).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import cache
from pathlib import Path

import pycountry

from .orders_oracle import (
    BAD_FILE,
    DUPLICATE_FILE,
    MALFORMED_ROW,
    MISSING_FIELD,
    FileCounts,
    RawFile,
    Rejection,
    _calendar_date,
    _decode,
    _records,
    _well_quoted,
    is_raw_name,
    landing_date_of,
)

DATASET = "salaries"
REQUIRED_COLUMNS = ("employee_id", "country", "salary")
OPTIONAL_COLUMNS = ("name", "department", "currency", "as_of_date")
BAD_COUNTRY = "bad_country"
BAD_SALARY = "bad_salary"
BAD_CURRENCY = "bad_currency"
ROW_REASONS = (MISSING_FIELD, BAD_COUNTRY, BAD_SALARY, BAD_CURRENCY, MALFORMED_ROW)
SUMMARY_NAMES = ("salary_by_country", "india_vs_us")

NAMED_COUNTRIES = {"INDIA": "IN", "IND": "IN", "USA": "US", "UNITED STATES": "US"}
HOME_CURRENCY = {"US": "USD", "IN": "INR"}
CENT = Decimal("0.01")
MAX_SALARY = Decimal("999999999999.99")
DOLLARS_AND_PESOS = frozenset(
    {
        *("USD", "AUD", "BBD", "BMD", "BND", "BSD", "BZD", "CAD", "FJD", "GYD", "HKD"),
        *("JMD", "KYD", "LRD", "NAD", "NZD", "SBD", "SGD", "SRD", "TTD", "TWD", "XCD"),
        *("ZWL", "ARS", "CLP", "COP", "CUP", "DOP", "MXN", "PHP", "UYU"),
    }
)
SYMBOLS = {  # symbol as written -> currencies it can stand for
    "$": DOLLARS_AND_PESOS,
    "€": frozenset({"EUR"}),
    "£": frozenset(["GBP", "EGP", "FKP", "GIP", "LBP", "SDG", "SHP", "SSP", "SYP"]),
    "¥": frozenset({"JPY", "CNY"}),
    "₹": frozenset({"INR"}),
}
RUPEES = frozenset(["INR", "LKR", "MUR", "NPR", "PKR", "SCR"])  # ``Rs``/``Rs.``, any case
_DIGITS = frozenset("0123456789")


# --- data shapes -------------------------------------------------------------------------
@dataclass(frozen=True)
class Salary:
    """One cleaned, valid salary row."""

    employee_id: str
    name: str | None
    department: str | None
    country: str
    salary: Decimal
    currency: str
    as_of_date: date | None


@dataclass
class ParsedFile:
    """A readable file: its normalised header and its records (``None`` = csv error)."""

    header: list[str]
    records: list[tuple[int, list[str] | None]]


@dataclass
class RunCounts:
    """Everything one run must produce: per-file counts, rejections, the kept salaries."""

    run_date: date
    files: dict[str, FileCounts] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    salaries: dict[str, Salary] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, int]:
        names = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")
        return {name: sum(getattr(f, name) for f in self.files.values()) for name in names}

    @property
    def rejections_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(r.reason for r in self.rejections).items()))

    @property
    def processed_checksums(self) -> set[str]:
        return {f.checksum for f in self.files.values() if f.reason is None}


@dataclass
class OracleResult:
    """Runs in execution order, the latest version of every employee and the summaries."""

    runs: dict[date, RunCounts]
    latest: dict[str, Salary]
    summaries: dict[str, list[dict[str, object]]]


# --- files -------------------------------------------------------------------------------
def list_raw_files(lake_root: str | Path) -> list[RawFile]:
    """Every raw salaries file under ``<lake>/raw/salaries/``, in 'latest file' order."""
    root = Path(lake_root)
    found = []
    for path in (root / "raw" / DATASET).rglob("*"):
        key = path.relative_to(root).as_posix()
        if path.is_file() and is_raw_name(key):
            mtime = path.stat().st_mtime
            found.append(RawFile(key, mtime, landing_date_of(key, mtime)))
    return sorted(found, key=lambda raw: (raw.mtime, raw.key))


def parse_file(key: str, data: bytes) -> ParsedFile | None:
    """Decode and split a raw file into records; ``None`` means the whole file is bad."""
    text = _decode(key, data)
    if text is None:
        return None
    records = _records(text)
    first = next(records, None)
    if first is None or first[1] is None:
        return None
    header = [name.strip(" ").lower() for name in first[1]]
    if len(set(header)) != len(header) or not set(REQUIRED_COLUMNS) <= set(header):
        return None
    checked = [
        (line, fields if fields is not None and _well_quoted(raw) else None)
        for line, fields, raw in records
    ]
    return ParsedFile(header, checked)


# --- one row -----------------------------------------------------------------------------
def clean_record(header: list[str], fields: list[str] | None) -> Salary | str:
    """A valid :class:`Salary`, or the reason code of the first check that fails."""
    if fields is None or len(fields) != len(header):
        return MALFORMED_ROW
    raw = {name: value.strip(" ") for name, value in zip(header, fields, strict=True)}
    if any(raw[name] == "" for name in REQUIRED_COLUMNS):
        return MISSING_FIELD
    country = parse_country(raw["country"])
    if country is None:
        return BAD_COUNTRY
    parsed = parse_salary(raw["salary"])
    if parsed is None:
        return BAD_SALARY
    symbol, salary = parsed
    currency_text = raw.get("currency", "")
    if currency_text == "":
        currency = HOME_CURRENCY.get(country)
        if currency is None:
            return MISSING_FIELD
    else:
        currency = currency_text.upper()
        if currency not in _currency_codes():
            return BAD_CURRENCY
    if not symbol_fits(symbol, currency):
        return BAD_CURRENCY
    as_of_text = raw.get("as_of_date", "")
    as_of_date = parse_date(as_of_text) if as_of_text else None
    if as_of_text and as_of_date is None:
        return MALFORMED_ROW
    return Salary(
        employee_id=raw["employee_id"],
        name=raw.get("name") or None,
        department=raw.get("department") or None,
        country=country,
        salary=salary,
        currency=currency,
        as_of_date=as_of_date,
    )


def parse_country(text: str) -> str | None:
    """``India``/``IND``/``USA``/``United States`` (any case) or an alpha-2 code."""
    upper = text.upper()
    if upper in NAMED_COUNTRIES:
        return NAMED_COUNTRIES[upper]
    return upper if upper in _alpha_2_codes() else None


def parse_salary(text: str) -> tuple[str, Decimal] | None:
    """``(symbol, amount)`` of ``[symbol][ ]number``; ``None`` unless 0 < amount <= max."""
    symbol, rest = _split_symbol(text)
    if rest.startswith(" ") and symbol:
        rest = rest[1:]
    whole, dot, fraction = rest.partition(".")
    if dot and (not fraction or not set(fraction) <= _DIGITS):
        return None
    if not _grouped_digits(whole):
        return None
    try:
        amount = Decimal(whole.replace(",", "") + dot + fraction).quantize(CENT, ROUND_HALF_UP)
    except InvalidOperation:
        return None
    return (symbol, amount) if 0 < amount <= MAX_SALARY else None


def _split_symbol(text: str) -> tuple[str, str]:
    for symbol in SYMBOLS:
        if text.startswith(symbol):
            return symbol, text[len(symbol) :]
    if text[:2].lower() == "rs":
        length = 3 if text[2:3] == "." else 2
        return "Rs", text[length:]
    return "", text


def _grouped_digits(whole: str) -> bool:
    """Plain digits, or comma groups by thousands (1,250,000) or lakhs (12,50,000)."""
    groups = whole.split(",")
    if not all(group and set(group) <= _DIGITS for group in groups):
        return False
    if len(groups) == 1:
        return True
    first, middle, last = groups[0], groups[1:-1], groups[-1]
    thousands = len(first) <= 3 and all(len(g) == 3 for g in middle) and len(last) == 3
    lakhs = len(first) <= 2 and middle and all(len(g) == 2 for g in middle) and len(last) == 3
    return bool(thousands or lakhs)


def symbol_fits(symbol: str, currency: str) -> bool:
    if symbol == "":
        return True
    if symbol == "Rs":
        return currency in RUPEES
    return currency in SYMBOLS[symbol]


def parse_date(text: str) -> date | None:
    """``YYYY-MM-DD`` with ASCII digits, a real calendar date."""
    parts = text.split("-")
    if [len(p) for p in parts] != [4, 2, 2] or not all(set(p) <= _DIGITS for p in parts):
        return None
    return _calendar_date(*parts)


@cache
def _alpha_2_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def _currency_codes() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


# --- runs --------------------------------------------------------------------------------
def simulate_runs(lake_root: str | Path, run_dates: list[date]) -> OracleResult:
    """Run the salaries rules for each date in order, carrying state across runs.

    Re-running a date replaces that date's earlier run (as the pipeline's re-run does).
    """
    files = list_raw_files(lake_root)
    runs: dict[date, RunCounts] = {}
    for run_date in run_dates:
        runs.pop(run_date, None)
        seen = set().union(*(run.processed_checksums for run in runs.values()))
        landed = [raw for raw in files if raw.landing_date == run_date]
        runs[run_date] = run_one(Path(lake_root), run_date, landed, seen)
    latest = latest_versions(runs)
    return OracleResult(runs=runs, latest=latest, summaries=summarize(latest.values()))


def run_one(root: Path, run_date: date, files: list[RawFile], seen: set[str]) -> RunCounts:
    """One run: file rules, row rules, then the within-run dedupe of valid rows."""
    run = RunCounts(run_date)
    candidates: list[tuple[int, int, str, Salary]] = []
    for position, raw in enumerate(files):
        data = (root / raw.key).read_bytes()
        counts = FileCounts(raw.key, checksum=hashlib.sha256(data).hexdigest())
        run.files[raw.key] = counts
        parsed = parse_file(raw.key, data)
        if parsed is None:
            counts.reason = BAD_FILE
            continue
        counts.rows_read = len(parsed.records)
        if counts.checksum in seen:
            counts.reason = DUPLICATE_FILE
            counts.rows_duplicate = counts.rows_read
            continue
        seen.add(counts.checksum)
        for line, fields in parsed.records:
            outcome = clean_record(parsed.header, fields)
            if isinstance(outcome, Salary):
                candidates.append((position, line, raw.key, outcome))
            else:
                counts.rows_rejected += 1
                counts.rejections_by_reason[outcome] += 1
                run.rejections.append(Rejection(raw.key, line, outcome))
    by_employee: dict[str, list[tuple[int, int, str, Salary]]] = defaultdict(list)
    for candidate in candidates:
        by_employee[candidate[3].employee_id].append(candidate)
    for employee_id, versions in by_employee.items():
        winner = max(versions, key=lambda c: (_date_key(c[3].as_of_date), c[0], c[1]))
        for candidate in versions:
            if candidate is winner:
                run.files[candidate[2]].rows_valid += 1
            else:
                run.files[candidate[2]].rows_duplicate += 1
        run.salaries[employee_id] = winner[3]
    return run


def _date_key(day: date | None) -> date:
    """``None`` is older than every real date."""
    return day or date.min


def latest_versions(runs: dict[date, RunCounts]) -> dict[str, Salary]:
    """Across runs: greatest (as_of_date, None oldest; then run date) per employee."""
    best: dict[str, tuple[tuple[date, date], Salary]] = {}
    for run_date, run in runs.items():
        for employee_id, salary in run.salaries.items():
            rank = (_date_key(salary.as_of_date), run_date)
            if employee_id not in best or rank > best[employee_id][0]:
                best[employee_id] = (rank, salary)
    return {employee_id: salary for employee_id, (_, salary) in best.items()}


# --- summaries ---------------------------------------------------------------------------
def _half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _average(values: list[Decimal]) -> Decimal:
    """The exact mean, rounded half up to cents once."""
    with localcontext() as context:
        context.prec = 60
        return _half_up(sum(values) / len(values))


def _median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return _average(ordered[middle - 1 : middle + 1])


def summarize(salaries: Iterable[Salary]) -> dict[str, list[dict[str, object]]]:
    """Both contract summaries over the latest version of each employee."""
    salaries = list(salaries)
    groups: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for row in salaries:
        groups[(row.country, row.currency)].append(row.salary)
    by_country = [
        {
            "country": country,
            "currency": currency,
            "headcount": len(values),
            "total_salary": sum(values, Decimal("0.00")),
            "average_salary": _average(values),
            "median_salary": _median(values),
            "min_salary": min(values),
            "max_salary": max(values),
        }
        for (country, currency), values in sorted(groups.items())
    ]
    india_vs_us = []
    for country in ("IN", "US"):
        values = groups.get((country, HOME_CURRENCY[country]), [])
        india_vs_us.append(
            {
                "country": country,
                "headcount": len(values),
                "total_salary": sum(values, Decimal("0.00")),
                "average_salary": _average(values) if values else None,
            }
        )
    return {"salary_by_country": by_country, "india_vs_us": india_vs_us}
