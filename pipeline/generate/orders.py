"""Raw ``orders`` exports for one landing date, in the shapes real exports arrive in.

One call writes ``files`` CSV files (plus ``bad_files`` unreadable ones) under
``raw/orders/``. On purpose they contain:

* clean orders: a skewed customer pool, catalogue prices, weighted statuses, countries as
  alpha-2 / alpha-3 / English names, order dates from the 30 days before landing in all
  four accepted forms, ``updated_at`` mostly present;
* about 6% dirty rows, every row-level rejection reason at least once from 200 rows up:
  blank required values, bad dates (``order_date`` and ``updated_at``), unknown statuses,
  bad quantities and prices, rows with a wrong field count and rows whose broken quoting
  still leaves the rest of the file readable;
* format variety: BOM, CRLF, one gzip file under a ``YYYY/MM/DD/`` key, odd header case
  and spacing, shuffled column order, an extra ``notes`` column with quoted commas, quotes
  and line breaks, ``$1,299.50`` prices, ``canceled``, a file without ``country``;
* re-sent orders: ids repeated in a later file with another ``updated_at``, and status
  updates of the previous landing date's orders (``ORD-<yesterday>-NNNNNN``).

Everything comes from one ``random.Random`` seeded by (seed, landing date), and file
mtimes are pinned to noon UTC + i minutes, so the same arguments give the same bytes and
the same "latest file" order.
"""

from __future__ import annotations

import bisect
import csv
import io
import itertools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO

from pipeline.lake import Lake

from .files import (
    FilePlan,
    Weighted,
    broken_line,
    csv_text,
    ensure_parent,
    open_binary,
    pin_mtimes,
    spell_header,
)

DATASET = "orders"
DIRTY_RATE = 0.06
RESENT_RATE = 0.015  # rows of a later file that repeat an earlier file's order
UPDATE_RATE = 0.01  # rows that change the status of a previous landing date's order
CHUNK_ROWS = 50_000  # rows drawn and written at a time: bounds memory at any scale
ORDER_WINDOW_DAYS = 30
RESERVOIR_SIZE = 5_000
REQUIRED_COLUMNS = ("order_id", "customer_id", "order_date", "status", "quantity", "unit_price")
ALL_COLUMNS = (*REQUIRED_COLUMNS, "country", "updated_at", "notes")

# Dirty-row kinds: each maps to exactly one rejection reason of the contract.
DIRT_REASONS = {
    "blank_required": "missing_field",
    "bad_order_date": "bad_date",
    "bad_updated_at": "bad_date",
    "bad_status": "bad_status",
    "bad_quantity": "bad_quantity",
    "bad_price": "bad_price",
    "wrong_field_count": "malformed_row",
    "broken_quote": "malformed_row",
}
DIRT_WEIGHTS = {
    "blank_required": 20,
    "bad_order_date": 18,
    "bad_updated_at": 6,
    "bad_status": 12,
    "bad_quantity": 12,
    "bad_price": 14,
    "wrong_field_count": 10,
    "broken_quote": 8,
}
BAD_VALUES = {
    "order_date": (
        "2023-02-29",
        "2024-13-01",
        "2024-04-31T10:00:00Z",
        "31/12/2024",
        "12-31-2024",
        "2024-03-01 10:00:00",
        "20240301",
        "yesterday",
        "N/A",
    ),
    "updated_at": (
        "soon",
        "2024-03-01 10:00:00",
        "03/01/2024",
        "2024-03-01T25:00:00Z",
        "1709290000",
    ),
    "status": ("lost", "unknown", "shiped", "on hold", "refunded", "?"),
    "quantity": ("0", "-1", "two", "1.5", "99999999999", "1e3", "3 units"),
    "unit_price": ("-5.00", "abc", "1,2,3", "USD 12.00", "12.34.56", "$", "€15.00", "12,50"),
}
BAD_FILE_KINDS = ("missing_unit_price", "empty", "binary")

STATUS_SPELLINGS = (
    ("delivered", 40),
    ("shipped", 22),
    ("pending", 14),
    ("cancelled", 5),
    ("canceled", 2),
    ("returned", 5),
    ("Delivered", 4),
    ("SHIPPED", 2),
    (" pending ", 1),
    ("Cancelled", 1),
    ("CANCELED", 1),
    ("Returned", 1),
)
UPDATE_STATUS_SPELLINGS = (
    ("shipped", 3),
    ("delivered", 4),
    ("cancelled", 1),
    ("canceled", 1),
    ("returned", 1),
)
QUANTITY_SPELLINGS = (
    ("1", 40),
    ("2", 24),
    ("3", 12),
    ("4", 6),
    ("5", 5),
    ("6", 3),
    ("10", 2),
    ("12", 1),
    ("24", 1),
    (" 2 ", 2),
    ("+1", 1),
    ("03", 1),
)
COUNTRY_SPELLINGS = (
    ("US", 14),
    ("USA", 4),
    ("United States", 4),
    ("us", 1),
    ("GB", 5),
    ("UK", 3),
    ("United Kingdom", 2),
    ("England", 1),
    ("IN", 6),
    ("India", 4),
    ("IND", 2),
    ("DE", 4),
    ("Germany", 3),
    ("DEU", 1),
    (" de ", 1),
    ("FR", 3),
    ("France", 2),
    ("FRA", 1),
    ("CA", 3),
    ("Canada", 2),
    ("CAN", 1),
    ("AU", 2),
    ("Australia", 1),
    ("JP", 2),
    ("Japan", 1),
    ("BR", 2),
    ("Brazil", 1),
    ("ES", 1),
    ("Spain", 1),
    ("NL", 1),
    ("Netherlands", 1),
    ("MX", 1),
    ("Mexico", 1),
    ("South Korea", 1),
    ("", 3),
    ("N/A", 0.5),
    ("Atlantis", 0.3),
)
NOTE_SPELLINGS = (
    ("", 950),
    ("gift wrap, please", 8),
    ("leave at the door\nring twice", 8),
    ('customer says "urgent"', 6),
    ("fragile, handle with care\r\nthanks", 6),
    ("call before delivery", 8),
    ("repeat customer", 6),
)
# Prices whose half-cent only HALF_UP rounding gets right (2.675 is 2.67 as a float).
HALF_CENT_PRICES = ("2.675", "0.125", "10.005")


@dataclass(frozen=True)
class _Pools:
    """Every value spelling a clean row is drawn from, built once per call."""

    customers: Weighted
    order_dates: Weighted
    statuses: Weighted
    update_statuses: Weighted
    quantities: Weighted
    prices: Weighted
    countries: Weighted
    updated_at: Weighted
    timestamps: Weighted
    notes: Weighted


def generate_orders(
    lake_root: str,
    landing_date: date,
    rows: int = 1000,
    files: int = 3,
    seed: int = 0,
    bad_files: int = 0,
) -> list[str]:
    """Write ``files`` raw order files (``rows`` records in all) and ``bad_files`` bad ones.

    Returns the lake-relative keys written, data files first.
    """
    if rows < 0 or files < 1 or bad_files < 0:
        raise ValueError("rows and bad_files must be >= 0 and files >= 1")
    lake = Lake(lake_root)
    rng = random.Random(f"orders:{seed}:{landing_date.isoformat()}")
    generation = _Generation(rng, landing_date, rows, _build_pools(rng, landing_date, rows))
    keys = []
    for plan in _file_plans(rng, landing_date, rows, files):
        with open_binary(lake, plan.key, gzipped=plan.gzip, bom=plan.bom) as sink:
            generation.write_file(sink, plan)
        keys.append(plan.key)
    for number in range(bad_files):
        key = f"raw/{DATASET}/dt={landing_date.isoformat()}/orders_bad_{number + 1}.csv"
        kind = BAD_FILE_KINDS[number % len(BAD_FILE_KINDS)]
        with lake.fs.open(ensure_parent(lake, key), "wb") as handle:
            handle.write(_bad_file_bytes(rng, kind, generation))
        keys.append(key)
    pin_mtimes(lake, keys, landing_date)
    return keys


# --- value pools -------------------------------------------------------------------------
def _build_pools(rng: random.Random, landing_date: date, rows: int) -> _Pools:
    spellings = [_spell_timestamp(rng, _instant_on(rng, landing_date, 11)) for _ in range(2_000)]
    timestamps = [(spelling, 1.0) for spelling in spellings]
    # ~2% a plain date (midnight UTC), ~8% blank (no updated_at at all).
    updated_at = [*timestamps, (landing_date.isoformat(), 40.0), ("", 180.0)]
    return _Pools(
        customers=_customer_pool(rng, rows),
        order_dates=_order_date_pool(rng, landing_date),
        statuses=Weighted.of(STATUS_SPELLINGS),
        update_statuses=Weighted.of(UPDATE_STATUS_SPELLINGS),
        quantities=Weighted.of(QUANTITY_SPELLINGS),
        prices=_price_pool(rng),
        countries=Weighted.of(COUNTRY_SPELLINGS),
        updated_at=Weighted.of(updated_at),
        timestamps=Weighted.of(timestamps),
        notes=Weighted.of(NOTE_SPELLINGS),
    )


def _customer_pool(rng: random.Random, rows: int) -> Weighted:
    """A few customers order a lot, most rarely; some exports lower-case or pad the id."""
    size = max(50, rows // 8)
    numbers = list(range(1, size + 1))
    rng.shuffle(numbers)
    pairs: list[tuple[str, float]] = []
    for rank, number in enumerate(numbers, start=1):
        customer = f"C{number:06d}"
        weight = rank**-0.7
        pairs.append((customer, weight))
        if rank % 10 == 0:
            pairs.append((customer.lower(), weight * 0.3))
        if rank % 25 == 0:
            pairs.append((f" {customer} ", weight * 0.2))
    return Weighted.of(pairs)


def _price_pool(rng: random.Random) -> Weighted:
    """A catalogue: everyday products (cheaper sells more), premium ones, half-cent prices.

    Premium products (~2% of rows) are the ones exported as ``$1,299.50``; half-cent
    prices (~0.5%) are the ones only HALF_UP rounding gets right.
    """
    endings = (99, 99, 95, 50, 0, 49)
    everyday = [
        int(min(999.0, max(1.0, rng.lognormvariate(3.2, 1.1)))) * 100 + rng.choice(endings)
        for _ in range(300)
    ]
    premium = [rng.randint(1_000, 4_999) * 100 + rng.choice(endings) for _ in range(10)]
    half_cent = [(price, 0.005 / len(HALF_CENT_PRICES)) for price in HALF_CENT_PRICES]
    return Weighted.of(_catalogue(everyday, 0.975) + _catalogue(premium, 0.02) + half_cent)


def _catalogue(prices_in_cents: list[int], share: float) -> list[tuple[str, float]]:
    """Spellings of these prices weighted 1/sqrt(price), together worth ``share`` of rows."""
    weights = [1 / cents**0.5 for cents in prices_in_cents]
    scale = share / sum(weights)
    pairs = []
    for cents, weight in zip(prices_in_cents, weights, strict=True):
        spellings = _price_spellings(cents)
        total = sum(part for _, part in spellings)
        pairs += [(spelling, weight * scale * part / total) for spelling, part in spellings]
    return pairs


def _price_spellings(cents: int) -> list[tuple[str, float]]:
    plain = f"{cents // 100}.{cents % 100:02d}"
    spellings = [(plain, 0.75), (f"${plain}", 0.12), (f" {plain} ", 0.03)]
    if cents % 100 == 0:
        spellings.append((str(cents // 100), 0.08))
    if cents >= 100_000:
        grouped = f"{cents // 100:,}.{cents % 100:02d}"
        spellings += [(grouped, 0.2), (f"${grouped}", 0.3)]
    return spellings


def _order_date_pool(rng: random.Random, landing_date: date) -> Weighted:
    """Order dates from the window before landing, in every accepted form."""
    pairs = []
    for days_back in range(1, ORDER_WINDOW_DAYS + 1):
        day = landing_date - timedelta(days=days_back)
        pairs += [(_spell_order_date(rng, day), 1.0) for _ in range(16)]
    return Weighted.of(pairs)


def _spell_order_date(rng: random.Random, day: date) -> str:
    form = rng.choices(("dash", "slash", "us", "iso"), weights=(45, 10, 15, 30))[0]
    if form == "dash":
        return day.isoformat()
    if form == "slash":
        return f"{day:%Y/%m/%d}"
    if form == "us":
        if rng.random() < 0.5:
            return f"{day:%m/%d/%Y}"
        return f"{day.month}/{day.day}/{day.year}"
    return _spell_timestamp(rng, _instant_on(rng, day, last_hour=23))


def _instant_on(rng: random.Random, day: date, last_hour: int) -> datetime:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start + timedelta(seconds=rng.randrange((last_hour + 1) * 3600))


def _spell_timestamp(rng: random.Random, instant: datetime) -> str:
    """The same UTC instant written as ``Z``, with an offset, a fraction or no zone."""
    forms = ("z", "offset", "compact", "fraction", "minutes", "naive")
    form = rng.choices(forms, weights=(50, 15, 5, 15, 5, 10))[0]
    if form in ("offset", "compact"):
        hours = rng.choice((-5, -4, 1, 2, 5))
        local = instant + timedelta(hours=hours)
        sign = "+" if hours >= 0 else "-"
        zone = f"{sign}{abs(hours):02d}:00" if form == "offset" else f"{sign}{abs(hours):02d}00"
        return f"{local:%Y-%m-%dT%H:%M:%S}{zone}"
    if form == "fraction":
        return f"{instant:%Y-%m-%dT%H:%M:%S}.{rng.randrange(1000):03d}Z"
    if form == "minutes":
        return f"{instant:%Y-%m-%dT%H:%M}Z"
    if form == "naive":
        return f"{instant:%Y-%m-%dT%H:%M:%S}"
    return f"{instant:%Y-%m-%dT%H:%M:%S}Z"


# --- file layout -------------------------------------------------------------------------
def _file_plans(rng: random.Random, landing_date: date, rows: int, files: int) -> list[FilePlan]:
    """Split the rows over files; give each file its own key style, header and encoding."""
    sizes = [rows // files + (1 if index < rows % files else 0) for index in range(files)]
    firsts = [0, *itertools.accumulate(sizes)]
    plans = []
    for index, size in enumerate(sizes):
        gzipped = files >= 2 and index == 1
        columns = [
            name
            for name in ALL_COLUMNS
            if not (name == "country" and index == 2) and not (name == "notes" and index % 2)
        ]
        rng.shuffle(columns)
        plans.append(
            FilePlan(
                index=index,
                key=_data_key(landing_date, index + 1, gzipped),
                first_row=firsts[index],
                rows=size,
                columns=tuple(columns),
                header=tuple(spell_header(rng, name) for name in columns),
                gzip=gzipped,
                bom=index % 2 == 0,
                crlf=index % 2 == 1,
            )
        )
    return plans


def _data_key(landing_date: date, number: int, gzipped: bool) -> str:
    if gzipped:
        return f"raw/{DATASET}/{landing_date:%Y/%m/%d}/orders_{number}.csv.gz"
    return f"raw/{DATASET}/dt={landing_date.isoformat()}/orders_{number}.csv"


# --- rows --------------------------------------------------------------------------------
class _Generation:
    """State shared by the files of one call: pools, the dirt plan, re-sendable orders."""

    def __init__(self, rng: random.Random, landing_date: date, rows: int, pools: _Pools) -> None:
        self.rng = rng
        self.pools = pools
        self.rows = rows
        self.id_prefix = f"ORD-{landing_date:%Y%m%d}-"
        self.previous_prefix = f"ORD-{landing_date - timedelta(days=1):%Y%m%d}-"
        self.dirty_rows, self.dirty_kinds = self._plan_dirt(rows)
        self.resendable: list[dict[str, str]] = []

    def _plan_dirt(self, rows: int) -> tuple[list[int], list[str]]:
        """Which global rows are dirty and how; every kind appears once from 200 rows up."""
        kinds = list(DIRT_WEIGHTS)
        count = round(rows * DIRTY_RATE)
        if rows >= 200:
            count = max(count, len(kinds))
        chosen = self.rng.sample(kinds, k=min(count, len(kinds)))
        chosen += self.rng.choices(
            kinds, weights=list(DIRT_WEIGHTS.values()), k=count - len(chosen)
        )
        positions = self.rng.sample(range(rows), k=count)
        order = sorted(range(count), key=positions.__getitem__)
        return [positions[i] for i in order], [chosen[i] for i in order]

    def write_file(self, sink: IO[bytes], plan: FilePlan) -> None:
        """Stream one file chunk by chunk; remember some of its orders for later files."""
        sink.write(csv_text([plan.header], {}, plan.terminator).encode("utf-8"))
        file_sample: list[dict[str, str]] = []
        end = plan.first_row + plan.rows
        for start in range(plan.first_row, end, CHUNK_ROWS):
            size = min(CHUNK_ROWS, end - start)
            columns = self.draw_columns(start, size)
            broken = self._apply_specials(plan, columns, start, size, file_sample)
            records = list(zip(*(columns[name] for name in plan.columns), strict=True))
            raw_lines = {
                pos: broken_line(
                    self.rng,
                    kind,
                    records[pos],
                    plan,
                    quote_column="customer_id",
                    number_column="unit_price",
                    fallback="C000001",
                )
                for pos, kind in broken.items()
            }
            sink.write(csv_text(records, raw_lines, plan.terminator).encode("utf-8"))
        self._remember(file_sample)

    def draw_columns(self, start: int, size: int) -> dict[str, list[str]]:
        """Clean values for rows ``start`` .. ``start + size`` (0-based, over all files)."""
        pools, rng = self.pools, self.rng
        first = start + 1
        return {
            "order_id": [f"{self.id_prefix}{n:06d}" for n in range(first, first + size)],
            "customer_id": pools.customers.draw(rng, size),
            "order_date": pools.order_dates.draw(rng, size),
            "status": pools.statuses.draw(rng, size),
            "quantity": pools.quantities.draw(rng, size),
            "unit_price": pools.prices.draw(rng, size),
            "country": pools.countries.draw(rng, size),
            "updated_at": pools.updated_at.draw(rng, size),
            "notes": pools.notes.draw(rng, size),
        }

    def _apply_specials(
        self,
        plan: FilePlan,
        columns: dict[str, list[str]],
        start: int,
        size: int,
        file_sample: list[dict[str, str]],
    ) -> dict[int, str]:
        """Dirty, re-sent and status-update rows; returns the rows to write by hand."""
        low = bisect.bisect_left(self.dirty_rows, start)
        high = bisect.bisect_left(self.dirty_rows, start + size)
        dirty = {self.dirty_rows[i] - start: self.dirty_kinds[i] for i in range(low, high)}
        broken = {}
        for pos, kind in dirty.items():
            if kind in ("wrong_field_count", "broken_quote"):
                broken[pos] = kind
            else:
                self._dirty_value(kind, columns, pos)
        resent_count = round(size * RESENT_RATE) if plan.index > 0 and self.resendable else 0
        update_count = round(size * UPDATE_RATE)
        wanted = min(size, len(dirty) + resent_count + update_count + 100)
        clean = [pos for pos in self.rng.sample(range(size), k=wanted) if pos not in dirty]
        for pos in clean[:resent_count]:
            self._resend(columns, pos)
        for pos in clean[resent_count : resent_count + update_count]:
            self._update_previous(columns, pos)
        sample_from = clean[resent_count + update_count :][:100]
        file_sample += [
            {name: values[pos] for name, values in columns.items()} for pos in sample_from
        ]
        return broken

    def _dirty_value(self, kind: str, columns: dict[str, list[str]], pos: int) -> None:
        if kind == "blank_required":
            column = self.rng.choice(REQUIRED_COLUMNS)
            columns[column][pos] = self.rng.choice(("", "   "))
            return
        column = {
            "bad_order_date": "order_date",
            "bad_updated_at": "updated_at",
            "bad_status": "status",
            "bad_quantity": "quantity",
            "bad_price": "unit_price",
        }[kind]
        columns[column][pos] = self.rng.choice(BAD_VALUES[column])

    def _resend(self, columns: dict[str, list[str]], pos: int) -> None:
        """An order from an earlier file again, with a new status and updated_at."""
        earlier = self.rng.choice(self.resendable)
        for name in ("order_id", "customer_id", "order_date", "quantity", "unit_price", "country"):
            columns[name][pos] = earlier[name]
        if self.rng.random() < 0.1:
            columns["order_id"][pos] = f" {earlier['order_id']} "
        columns["status"][pos] = self.pools.update_statuses.draw(self.rng, 1)[0]
        updated = earlier["updated_at"]
        while updated == earlier["updated_at"]:
            updated = self.pools.timestamps.draw(self.rng, 1)[0]
        columns["updated_at"][pos] = updated

    def _update_previous(self, columns: dict[str, list[str]], pos: int) -> None:
        """A status change of an order that landed the day before (it always has updated_at)."""
        number = self.rng.randint(1, max(1, self.rows))
        columns["order_id"][pos] = f"{self.previous_prefix}{number:06d}"
        columns["status"][pos] = self.pools.update_statuses.draw(self.rng, 1)[0]
        columns["updated_at"][pos] = self.pools.timestamps.draw(self.rng, 1)[0]

    def _remember(self, file_sample: list[dict[str, str]]) -> None:
        self.resendable = (self.resendable + file_sample)[-RESERVOIR_SIZE:]


# --- whole bad files ---------------------------------------------------------------------
def _bad_file_bytes(rng: random.Random, kind: str, generation: _Generation) -> bytes:
    """A file the contract rejects whole: no unit_price column, empty, or not text."""
    if kind == "empty":
        return b""
    if kind == "binary":
        return b"\x89PNG\r\n\x1a\n\xff\xfe\x00" + rng.randbytes(1024)
    columns = [name for name in ALL_COLUMNS if name not in ("unit_price", "notes")]
    draws = generation.draw_columns(0, 5)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*(draws[name] for name in columns), strict=True))
    return buffer.getvalue().encode("utf-8")
