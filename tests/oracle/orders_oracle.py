"""A slow, obviously-correct model of the orders pipeline, for tests to compare against.

It re-implements the orders contract (``contracts/orders.md``) one row at a time with the
standard library and exact ``Decimal`` arithmetic, and shares no code with the pipeline,
so a mistake in the Spark job shows up as a difference instead of being copied here.

Entry points: :func:`simulate_runs` (what each run and the summaries must contain),
:func:`parse_file` / :func:`clean_record` (one file, one row) and :func:`landing_date_of`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache
from pathlib import Path

import pycountry

DATASET = "orders"
REQUIRED_COLUMNS = ("order_id", "customer_id", "order_date", "status", "quantity", "unit_price")
OPTIONAL_COLUMNS = ("country", "updated_at")
STATUSES = frozenset({"pending", "shipped", "delivered", "cancelled", "returned"})
STATUS_ALIASES = {"canceled": "cancelled"}
NON_REVENUE_STATUSES = frozenset({"cancelled", "returned"})
UNKNOWN_COUNTRY = "UNKNOWN"
COUNTRY_ALIASES = {  # common names people type that pycountry does not know
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "laos": "LA",
    "moldova": "MD",
    "czechia": "CZ",
    "czech republic": "CZ",
    "holland": "NL",
    "the netherlands": "NL",
    "uae": "AE",
    "ivory coast": "CI",
    "taiwan": "TW",
}
MAX_QUANTITY = 2_147_483_647
MAX_PRICE = Decimal("9999999999.99")
CENT = Decimal("0.01")
SHARE_STEP = Decimal("0.0001")

# Reason codes: per file, then per row.
BAD_FILE = "bad_file"
DUPLICATE_FILE = "duplicate_file"
MISSING_FIELD = "missing_field"
BAD_DATE = "bad_date"
BAD_STATUS = "bad_status"
BAD_QUANTITY = "bad_quantity"
BAD_PRICE = "bad_price"
MALFORMED_ROW = "malformed_row"
ROW_REASONS = (MISSING_FIELD, BAD_DATE, BAD_STATUS, BAD_QUANTITY, BAD_PRICE, MALFORMED_ROW)

SUMMARY_NAMES = ("sales_by_customer", "revenue_by_month", "status_summary", "average_order_value")

# [0-9] rather than \d: Python's \d also matches non-ASCII digits, Spark's does not.
_YMD_DASH = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_YMD_SLASH = re.compile(r"([0-9]{4})/([0-9]{2})/([0-9]{2})")
_MDY_SLASH = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_QUANTITY = re.compile(r"\+?[0-9]+")
_PRICE = re.compile(r"\$?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?")
_RFC4180_FIELD = r'"(?:[^"]|"")*"|[^",]*'
_RFC4180_RECORD = re.compile(rf"(?:{_RFC4180_FIELD})(?:,(?:{_RFC4180_FIELD}))*")
_KEY_DATE_PATTERNS = (
    re.compile(r"(?:^|/)dt=([0-9]{4})-([0-9]{2})-([0-9]{2})/"),
    re.compile(r"(?:^|/)([0-9]{4})/([0-9]{2})/([0-9]{2})/"),
)
_OLDEST = datetime.min.replace(tzinfo=UTC)


# --- data shapes -------------------------------------------------------------------------
@dataclass(frozen=True)
class Order:
    """One cleaned, valid order row."""

    order_id: str
    customer_id: str
    order_date: date
    status: str
    quantity: int
    unit_price: Decimal
    country: str
    updated_at: datetime | None
    amount: Decimal
    order_month: str


@dataclass(frozen=True)
class Rejection:
    """A quarantined row: where it came from and why."""

    key: str
    line: int
    reason: str


@dataclass(frozen=True)
class RawFile:
    """A raw object in the lake with the facts the run selection needs."""

    key: str
    mtime: float
    landing_date: date


@dataclass
class ParsedFile:
    """A readable file: its normalised header and its records (``None`` = csv error)."""

    header: list[str]
    records: list[tuple[int, list[str] | None]]

    @property
    def ignored_columns(self) -> list[str]:
        known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
        return [name for name in self.header if name not in known]


@dataclass
class FileCounts:
    """Reconciliation counts of one file in one run (the ``files`` entries of run.json)."""

    key: str
    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    reason: str | None = None
    rejections_by_reason: Counter[str] = field(default_factory=Counter)
    ignored_columns: list[str] = field(default_factory=list)
    checksum: str = ""

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_valid + self.rows_rejected + self.rows_duplicate

    def as_dict(self) -> dict[str, object]:
        """The run.json shape of this entry."""
        return {
            "key": self.key,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_rejected": self.rows_rejected,
            "rows_duplicate": self.rows_duplicate,
            "reason": self.reason,
        }


@dataclass
class RunCounts:
    """Everything one run must produce: per-file counts, rejections, the kept orders."""

    run_date: date
    files: dict[str, FileCounts] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    orders: dict[str, Order] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, int]:
        names = ("rows_read", "rows_valid", "rows_rejected", "rows_duplicate")
        return {name: sum(getattr(f, name) for f in self.files.values()) for name in names}

    @property
    def rejections_by_reason(self) -> dict[str, int]:
        """Rejected rows per reason: sums to ``totals['rows_rejected']`` (bad files hold none)."""
        return dict(sorted(Counter(r.reason for r in self.rejections).items()))

    @property
    def files_rejected(self) -> int:
        """Whole files rejected as ``bad_file``."""
        return sum(f.reason == BAD_FILE for f in self.files.values())

    @property
    def processed_checksums(self) -> set[str]:
        """Contents this run used: later runs treat the same bytes as a duplicate file."""
        return {f.checksum for f in self.files.values() if f.reason is None}


@dataclass
class OracleResult:
    """Runs in execution order, the latest version of every order and the summaries."""

    runs: dict[date, RunCounts]
    latest_orders: dict[str, Order]
    summaries: dict[str, list[dict[str, object]]]


# --- landing dates and file discovery ------------------------------------------------------
def landing_date_of(key: str, mtime: float) -> date:
    """The date in the key (``dt=YYYY-MM-DD/`` or ``YYYY/MM/DD/``), else the UTC mtime date."""
    for pattern in _KEY_DATE_PATTERNS:
        for match in pattern.finditer(key):
            found = _calendar_date(*match.groups())
            if found is not None:
                return found
    return datetime.fromtimestamp(mtime, UTC).date()


def is_raw_name(key: str) -> bool:
    """Only ``.csv`` / ``.csv.gz`` objects are raw order files (case-insensitive)."""
    return key.lower().endswith((".csv", ".csv.gz"))


def list_raw_files(lake_root: str | Path) -> list[RawFile]:
    """Every raw order file under ``<lake>/raw/orders/`` with its mtime and landing date."""
    root = Path(lake_root)
    raw_dir = root / "raw" / DATASET
    if not raw_dir.is_dir():
        return []
    found = []
    for path in raw_dir.rglob("*"):
        key = path.relative_to(root).as_posix()
        regular = path.is_file() and not path.is_symlink()
        # a link is never read, but reported: to a data file by name, to a folder always
        linked = path.is_symlink() and (is_raw_name(key) or path.is_dir())
        if (regular and is_raw_name(key)) or linked:
            mtime = path.lstat().st_mtime
            found.append(RawFile(key, mtime, landing_date_of(key, mtime)))
    return sorted(found, key=_file_order)


def refused_unread(root: Path, key: str) -> bool:
    """Whole files rejected on their name or kind alone: symlinks, names with a backslash
    or a control character."""
    return (root / key).is_symlink() or "\\" in key or any(ord(c) < 32 for c in key)


def _file_order(raw: RawFile) -> tuple[float, str]:
    """Files are ordered by modification time, then key: later = 'latest file'."""
    return (raw.mtime, raw.key)


# --- one file ----------------------------------------------------------------------------
def parse_file(key: str, data: bytes) -> ParsedFile | None:
    """Decode and split a raw file into records; ``None`` means the whole file is bad.

    A data record is ``None`` (malformed) when the csv module refuses it, or when it
    holds a quote character outside a properly quoted field (``ab"c``), which the
    lenient csv module would otherwise accept as text.
    """
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


def _decode(key: str, data: bytes) -> str | None:
    """Gunzip ``.gz`` keys and decode UTF-8 (BOM optional); ``None`` when that fails."""
    try:
        if key.lower().endswith(".gz"):
            data = gzip.decompress(data)
        return data.decode("utf-8-sig")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError):
        return None


def _records(text: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """Non-blank csv records: start line, fields (``None`` = csv.Error) and raw text."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines, strict=True)
    while True:
        start_line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            fields = None
        raw = "".join(lines[start_line - 1 : reader.line_num])
        if fields != []:
            yield start_line, fields, raw


def _well_quoted(raw: str) -> bool:
    """RFC 4180 quoting: every field either fully quoted or free of quote characters."""
    if '"' not in raw:
        return True
    return _RFC4180_RECORD.fullmatch(raw.rstrip("\r\n")) is not None


# --- one row -----------------------------------------------------------------------------
MAX_AMOUNT = Decimal("999999999999.99")


def clean_record(header: list[str], fields: list[str] | None) -> Order | str:
    """A valid :class:`Order`, or the reason code of the first check that fails."""
    if fields is None or len(fields) != len(header):
        return MALFORMED_ROW
    raw = {name: value.strip(" ") for name, value in zip(header, fields, strict=True)}
    if any(raw[name] == "" for name in REQUIRED_COLUMNS):
        return MISSING_FIELD
    order_date = parse_order_date(raw["order_date"])
    updated_text = raw.get("updated_at", "")
    updated_at = parse_updated_at(updated_text) if updated_text else None
    if order_date is None or (updated_text and updated_at is None):
        return BAD_DATE
    status = parse_status(raw["status"])
    if status is None:
        return BAD_STATUS
    quantity = parse_quantity(raw["quantity"])
    if quantity is None:
        return BAD_QUANTITY
    unit_price = parse_price(raw["unit_price"])
    if unit_price is None:
        return BAD_PRICE
    if unit_price * quantity > MAX_AMOUNT:  # does not fit the contract's decimal(14,2)
        return BAD_QUANTITY
    return Order(
        order_id=raw["order_id"],
        customer_id=raw["customer_id"].upper(),
        order_date=order_date,
        status=status,
        quantity=quantity,
        unit_price=unit_price,
        country=normalise_country(raw.get("country", "")),
        updated_at=updated_at,
        amount=(unit_price * quantity).quantize(CENT),
        order_month=f"{order_date.year:04d}-{order_date.month:02d}",
    )


def parse_order_date(text: str) -> date | None:
    """``YYYY-MM-DD``, ``YYYY/MM/DD``, ``M/D/YYYY`` or an ISO timestamp (as its UTC date)."""
    if match := _YMD_DASH.fullmatch(text) or _YMD_SLASH.fullmatch(text):
        return _calendar_date(*match.groups())
    if match := _MDY_SLASH.fullmatch(text):
        month, day, year = match.groups()
        return _calendar_date(year, month, day)
    timestamp = parse_timestamp(text)
    return timestamp.date() if timestamp else None


def parse_updated_at(text: str) -> datetime | None:
    """An ISO timestamp in UTC, or a plain ``YYYY-MM-DD`` as midnight UTC."""
    if match := _YMD_DASH.fullmatch(text):
        day = _calendar_date(*match.groups())
        return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    return parse_timestamp(text)


def parse_timestamp(text: str) -> datetime | None:
    """``YYYY-MM-DDTHH:MM[:SS[.fraction]]`` + optional ``Z``/``±HH:MM``/``±HHMM``, in UTC.

    No offset means UTC; the fraction is truncated to microseconds (Spark's precision).
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    zone = _zone(offset)
    if zone is None:
        return None
    micros = int((fraction or "").ljust(6, "0")[:6])
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micros
        )
        return local.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):  # no such day, or its UTC time is outside years 1-9999
        return None


def _zone(offset: str | None) -> timezone | None:
    if offset in (None, "Z"):
        return UTC
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if minutes > 59 or hours * 60 + minutes > 18 * 60:  # java.time.ZoneOffset's range
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


def _calendar_date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_status(text: str) -> str | None:
    word = text.lower()
    word = STATUS_ALIASES.get(word, word)
    return word if word in STATUSES else None


def parse_quantity(text: str) -> int | None:
    if not _QUANTITY.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_QUANTITY else None


def parse_price(text: str) -> Decimal | None:
    """Digits with optional ``$`` and thousands commas, rounded half-up to cents."""
    if not _PRICE.fullmatch(text):
        return None
    value = Decimal(text.lstrip("$").replace(",", "")).quantize(CENT, ROUND_HALF_UP)
    return value if value <= MAX_PRICE else None


def normalise_country(text: str) -> str:
    """ISO alpha-2, alpha-3 or English name (any case) to alpha-2; else ``UNKNOWN``."""
    return _country_lookup().get(text.strip(" ").lower(), UNKNOWN_COUNTRY)


@cache
def _country_lookup() -> dict[str, str]:
    lookup = dict(COUNTRY_ALIASES)
    for country in pycountry.countries:
        for attribute in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name:
                lookup.setdefault(name.lower(), country.alpha_2)
    return lookup


# --- runs --------------------------------------------------------------------------------
def simulate_runs(lake_root: str | Path, run_dates: list[date]) -> OracleResult:
    """Run the orders pipeline's rules for each date in order, carrying state across runs.

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
    return OracleResult(runs=runs, latest_orders=latest, summaries=summarize(latest.values()))


def run_one(root: Path, run_date: date, files: list[RawFile], seen: set[str]) -> RunCounts:
    """One run: file rules, row rules, then the within-run dedupe of valid rows."""
    run = RunCounts(run_date)
    candidates: list[tuple[int, int, str, Order]] = []
    for position, raw in enumerate(sorted(files, key=_file_order)):
        if refused_unread(root, raw.key):
            run.files[raw.key] = FileCounts(raw.key, checksum="", reason=BAD_FILE)
            continue
        data = (root / raw.key).read_bytes()
        counts = FileCounts(raw.key, checksum=hashlib.sha256(data).hexdigest())
        run.files[raw.key] = counts
        parsed = parse_file(raw.key, data)
        if parsed is None:
            counts.reason = BAD_FILE
            continue
        counts.ignored_columns = parsed.ignored_columns
        counts.rows_read = len(parsed.records)
        if counts.checksum in seen:
            counts.reason = DUPLICATE_FILE
            counts.rows_duplicate = counts.rows_read
            continue
        seen.add(counts.checksum)
        for line, fields in parsed.records:
            outcome = clean_record(parsed.header, fields)
            if isinstance(outcome, Order):
                candidates.append((position, line, raw.key, outcome))
            else:
                counts.rows_rejected += 1
                counts.rejections_by_reason[outcome] += 1
                run.rejections.append(Rejection(raw.key, line, outcome))
    _dedupe(run, candidates)
    return run


def _dedupe(run: RunCounts, candidates: list[tuple[int, int, str, Order]]) -> None:
    """Keep the latest updated_at, then latest file, then last line, per order_id."""
    by_order: dict[str, list[tuple[int, int, str, Order]]] = defaultdict(list)
    for candidate in candidates:
        by_order[candidate[3].order_id].append(candidate)
    for order_id, versions in by_order.items():
        winner = max(versions, key=lambda c: (_updated_key(c[3].updated_at), c[0], c[1]))
        for candidate in versions:
            if candidate is winner:
                run.files[candidate[2]].rows_valid += 1
            else:
                run.files[candidate[2]].rows_duplicate += 1
        run.orders[order_id] = winner[3]


def _updated_key(updated_at: datetime | None) -> datetime:
    """``None`` sorts before every real timestamp."""
    return updated_at or _OLDEST


def latest_versions(runs: dict[date, RunCounts]) -> dict[str, Order]:
    """Across runs: greatest (updated_at, None oldest; then run date) per order_id."""
    best: dict[str, tuple[tuple[datetime, date], Order]] = {}
    for run_date, run in runs.items():
        for order_id, order in run.orders.items():
            rank = (_updated_key(order.updated_at), run_date)
            if order_id not in best or rank > best[order_id][0]:
                best[order_id] = (rank, order)
    return {order_id: order for order_id, (_, order) in best.items()}


# --- summaries ---------------------------------------------------------------------------
@dataclass
class _Tally:
    """Running totals of a group of orders; money is rounded only when read out."""

    orders: int = 0
    paying_orders: int = 0
    revenue: Decimal = Decimal(0)

    def add(self, order: Order) -> None:
        self.orders += 1
        if order.status not in NON_REVENUE_STATUSES:
            self.paying_orders += 1
            self.revenue += order.amount

    @property
    def rounded_revenue(self) -> Decimal:
        return _round(self.revenue, CENT)

    @property
    def average_order_value(self) -> Decimal | None:
        if self.paying_orders == 0:
            return None
        with localcontext() as context:
            context.prec = 60
            return _round(self.revenue / self.paying_orders, CENT)


def _round(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, ROUND_HALF_UP)


def summarize(orders: Iterable[Order]) -> dict[str, list[dict[str, object]]]:
    """The four contract summaries over the latest version of each order."""
    orders = list(orders)
    return {
        "sales_by_customer": sales_by_customer(orders),
        "revenue_by_month": revenue_by_month(orders),
        "status_summary": status_summary(orders),
        "average_order_value": average_order_value(orders),
    }


def _tallies(orders: Iterable[Order], group_of: Callable[[Order], str]) -> dict[str, _Tally]:
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for order in orders:
        tallies[group_of(order)].add(order)
    return dict(sorted(tallies.items()))


def sales_by_customer(orders: list[Order]) -> list[dict[str, object]]:
    dates: dict[str, list[date]] = defaultdict(list)
    for order in orders:
        dates[order.customer_id].append(order.order_date)
    return [
        {
            "customer_id": customer,
            "orders": tally.orders,
            "revenue": tally.rounded_revenue,
            "first_order_date": min(dates[customer]),
            "last_order_date": max(dates[customer]),
        }
        for customer, tally in _tallies(orders, lambda o: o.customer_id).items()
    ]


def revenue_by_month(orders: list[Order]) -> list[dict[str, object]]:
    return [
        {
            "order_month": month,
            "orders": tally.orders,
            "revenue": tally.rounded_revenue,
            "average_order_value": tally.average_order_value,
        }
        for month, tally in _tallies(orders, lambda o: o.order_month).items()
    ]


def status_summary(orders: list[Order]) -> list[dict[str, object]]:
    total = len(orders)
    return [
        {
            "status": status,
            "orders": tally.orders,
            "share_of_orders": _round(Decimal(tally.orders) / Decimal(total), SHARE_STEP),
        }
        for status, tally in _tallies(orders, lambda o: o.status).items()
    ]


def order_totals(orders: Iterable[Order]) -> list[dict[str, object]]:
    """The ``order_totals`` table of these (latest) orders: one row per order date,
    customer and status, sorted, with the unrounded revenue (0 when cancelled or returned)."""
    rows: dict[tuple[date, str, str, str], dict[str, object]] = {}
    for order in orders:
        key = (order.order_date, order.customer_id, order.status, order.order_month)
        row = rows.setdefault(
            key,
            dict(zip(("order_date", "customer_id", "status", "order_month"), key, strict=True))
            | {"orders": 0, "revenue": Decimal("0.00")},
        )
        row["orders"] += 1
        if order.status not in NON_REVENUE_STATUSES:
            row["revenue"] += order.amount
    return [rows[key] for key in sorted(rows)]


def average_order_value(orders: list[Order]) -> list[dict[str, object]]:
    tally = _Tally()
    for order in orders:
        tally.add(order)
    return [
        {
            "orders": tally.orders,
            "revenue": tally.rounded_revenue,
            "average_order_value": tally.average_order_value,
        }
    ]
