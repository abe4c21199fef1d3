"""Raw ``salaries`` HR exports for one landing date, in the shapes real exports arrive in.

One call writes ``files`` CSV files (plus ``bad_files`` unreadable ones) under
``raw/salaries/``. On purpose they contain:

* a stable staff register: employee ``EMP<nnnnnn>`` has the same name, department,
  country, pay currency and base salary in every landing generated with the same seed, so
  landings overlap like monthly HR snapshots do; India and the US dominate, a few Indian
  employees are paid in USD and a few Singapore ones in USD;
* per landing: a snapshot ``as_of_date`` (mostly the landing month's first day, some
  earlier, some blank) and raises on some salaries, so a later landing carries newer
  versions of earlier employees (and sometimes older ones);
* every spelling the contract accepts: ``India``/``IND``/``in``, ``USA``/``United States``,
  alpha-2 codes in any case, salaries plain, ``85,000``, ``$85,000.00``, ``₹12,50,000``
  (Indian grouping), ``Rs. 9,80,000``, ``€64,500``, ``£52,000``, ``¥6,500,000``,
  lower-case or padded currencies and blank currencies for US/India rows (defaults);
* about 6% dirty rows, every row-level rejection reason at least once from 200 rows up:
  blank required values, a blank currency outside the US/India, country names and codes
  the contract does not accept (``Germany``, ``UK``, ``DEU``), bad salaries (``0``,
  ``85k``, ``12,50``), unknown currencies, salary symbols contradicting the currency,
  invalid ``as_of_date`` values, wrong field counts and broken quoting;
* format variety: BOM, CRLF, one gzip file under a ``YYYY/MM/DD/`` key, odd header case
  and spacing, shuffled columns, names with quoted commas and quotes, non-ASCII names, an
  extra ``comments`` column with commas, quotes and line breaks, a file without
  ``currency`` (US/India employees only), one without ``department``, one without
  ``as_of_date``;
* duplicates within the landing: employees re-sent in a later file with another
  ``as_of_date`` and salary, and corrected lines repeating an employee in the same file.

Everything comes from ``random.Random`` seeded by (seed, landing date), the staff register
by seed alone, and file mtimes are pinned to noon UTC + i minutes, so the same arguments
give the same bytes and the same "latest file" order.
"""

from __future__ import annotations

import bisect
import csv
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO

from pipeline.lake import Lake

from .files import (
    BROKEN_QUOTE,
    WRONG_FIELD_COUNT,
    FilePlan,
    Weighted,
    broken_line,
    csv_text,
    ensure_parent,
    open_binary,
    pin_mtimes,
    spell_header,
)

DATASET = "salaries"
DIRTY_RATE = 0.06
RESENT_RATE = 0.02  # rows of a later file that repeat an earlier file's employee
CORRECTED_RATE = 0.005  # rows that repeat an employee of the same file (a corrected line)
CHUNK_ROWS = 50_000
STAFF_BLOCK = 1_000  # the register is drawn in blocks seeded by (seed, block)
REQUIRED_COLUMNS = ("employee_id", "country", "salary")
ALL_COLUMNS = (
    "employee_id",
    "name",
    "department",
    "country",
    "salary",
    "currency",
    "as_of_date",
    "comments",
)
HOME_CURRENCY = {"US": "USD", "IN": "INR"}

# Dirty-row kinds: each maps to exactly one rejection reason of the contract.
DIRT_REASONS = {
    "blank_required": "missing_field",
    "missing_currency": "missing_field",
    "bad_country": "bad_country",
    "bad_salary": "bad_salary",
    "bad_currency": "bad_currency",
    "symbol_mismatch": "bad_currency",
    "bad_as_of_date": "malformed_row",
    WRONG_FIELD_COUNT: "malformed_row",
    BROKEN_QUOTE: "malformed_row",
}
DIRT_WEIGHTS = {
    "blank_required": 14,
    "missing_currency": 8,
    "bad_country": 14,
    "bad_salary": 16,
    "bad_currency": 8,
    "symbol_mismatch": 6,
    "bad_as_of_date": 10,
    WRONG_FIELD_COUNT: 10,
    BROKEN_QUOTE: 8,
}
BAD_VALUES = {
    "country": (
        "Germany",
        "United Kingdom",
        "DEU",
        "UK",
        "U.S.",
        "Bharat",
        "Atlantis",
        "N/A",
        "XX",
        "Hindustan",
    ),
    "salary": (
        "0",
        "0.00",
        "-85000",
        "85k",
        "TBD",
        "N/A",
        "12,50",
        "85.000,00",
        "USD 85000",
        "1e5",
        "$",
        "confidential",
        "85000 $",
    ),
    "currency": ("US$", "Rupees", "DOLLAR", "EURO", "RMB", "XYZ", "usdollar"),
    "as_of_date": (
        "2024-02-30",
        "2023-02-29",
        "01/03/2024",
        "2024-3-1",
        "31-12-2023",
        "last month",
        "2024-13-01",
        "20240301",
    ),
}
BAD_FILE_KINDS = ("missing_salary", "empty", "binary")

# Where people work, their pay currency and the median yearly pay there (in that currency).
COUNTRY_WEIGHTS = (
    ("IN", 38),
    ("US", 34),
    ("GB", 6),
    ("DE", 5),
    ("CA", 3),
    ("SG", 3),
    ("FR", 2),
    ("NL", 2),
    ("AU", 2),
    ("JP", 2),
    ("IE", 1),
    ("PL", 1),
    ("BR", 1),
)
PAY = {  # country -> ((currency, weight, median yearly salary), ...)
    "IN": (("INR", 96, 1_200_000), ("USD", 4, 60_000)),
    "US": (("USD", 1, 95_000),),
    "GB": (("GBP", 1, 55_000),),
    "DE": (("EUR", 1, 62_000),),
    "CA": (("CAD", 1, 85_000),),
    "SG": (("SGD", 90, 90_000), ("USD", 10, 110_000)),
    "FR": (("EUR", 1, 50_000),),
    "NL": (("EUR", 1, 58_000),),
    "AU": (("AUD", 1, 100_000),),
    "JP": (("JPY", 1, 6_500_000),),
    "IE": (("EUR", 1, 60_000),),
    "PL": (("PLN", 1, 120_000),),
    "BR": (("BRL", 1, 150_000),),
}
DEPARTMENTS = (  # (department, weight, pay multiplier)
    ("Engineering", 30, 1.2),
    ("Sales", 12, 1.0),
    ("Sales, EMEA", 3, 1.05),
    ("Sales, APAC", 3, 0.95),
    ("Customer Support", 12, 0.75),
    ("Operations", 10, 0.85),
    ("Finance", 7, 1.05),
    ("Marketing", 7, 0.95),
    ("Human Resources", 5, 0.9),
    ("Research & Development", 6, 1.25),
    ("Legal", 2, 1.3),
)
FIRST_NAMES = {
    "IN": (
        "Aarav",
        "Priya",
        "Rohan",
        "Ananya",
        "Vikram",
        "Sneha",
        "Arjun",
        "Kavya",
        "Rahul",
        "Deepika",
        "Sanjay",
        "Lakshmi",
        "Aditya",
        "Meera",
    ),
    "other": (
        "James",
        "Maria",
        "Wei",
        "Olivia",
        "Noah",
        "Sofia",
        "Liam",
        "Emma",
        "Hiroshi",
        "Chloé",
        "José",
        "Zoë",
        "Søren",
        "Siobhán",
        "Łukasz",
        "Fatima",
    ),
}
LAST_NAMES = {
    "IN": (
        "Sharma",
        "Patel",
        "Iyer",
        "Reddy",
        "Nair",
        "Gupta",
        "Singh",
        "Mukherjee",
        "Desai",
        "Menon",
        "Banerjee",
    ),
    "other": (
        "Smith",
        "García",
        "O'Brien",
        "Müller",
        "Nguyen",
        "Johnson",
        "Kim",
        "Dubois",
        "Kowalski",
        "Tanaka",
        "Silva",
        "van der Berg",
    ),
}
COUNTRY_SPELLINGS = {
    "IN": (
        ("IN", 50),
        ("India", 30),
        ("IND", 8),
        ("india", 5),
        ("INDIA", 3),
        (" India ", 2),
        ("in", 2),
    ),
    "US": (
        ("US", 50),
        ("USA", 25),
        ("United States", 15),
        ("us", 4),
        ("usa", 3),
        ("united states", 2),
        (" US ", 1),
    ),
}
SYMBOLS = {  # currency -> ((prefix, weight), ...); "" = no symbol
    "USD": (("", 70), ("$", 25), ("$ ", 5)),
    "INR": (("", 60), ("₹", 20), ("Rs. ", 10), ("Rs.", 4), ("Rs ", 4), ("rs ", 2)),
    "EUR": (("", 75), ("€", 25)),
    "GBP": (("", 75), ("£", 25)),
    "JPY": (("", 75), ("¥", 25)),
    "CAD": (("", 80), ("$", 20)),
    "SGD": (("", 80), ("$", 20)),
    "AUD": (("", 80), ("$", 20)),
}
COMMENT_SPELLINGS = (
    ("", 900),
    ("promoted 2024-01", 10),
    ("on leave, returns Q3", 8),
    ('relocated from "Pune" office', 6),
    ("contractor\nconverted to FTE", 6),
    ("part-time, 0.8 FTE\r\nreview in June", 5),
    ("retention bonus excluded", 8),
)
RAISES = ((1.0, 70), (1.03, 10), (1.05, 10), (1.08, 6), (1.12, 4))
_COUNTRIES = Weighted.of(COUNTRY_WEIGHTS)
_DEPARTMENTS = Weighted.of((name, weight) for name, weight, _ in DEPARTMENTS)
_PAY_MULTIPLIER = {name: factor for name, _, factor in DEPARTMENTS}


@dataclass(frozen=True)
class Employee:
    """One person in the staff register (the truth behind the exported rows)."""

    employee_id: str
    name: str
    department: str
    country: str
    currency: str
    salary_cents: int

    @property
    def home_paid(self) -> bool:
        """Paid in the US/India default currency: safe in a file without ``currency``."""
        return HOME_CURRENCY.get(self.country) == self.currency


def generate_salaries(
    lake_root: str,
    landing_date: date,
    rows: int = 1000,
    files: int = 3,
    seed: int = 0,
    bad_files: int = 0,
) -> list[str]:
    """Write ``files`` raw salary files (``rows`` records in all) and ``bad_files`` bad ones.

    Returns the lake-relative keys written, data files first.
    """
    if rows < 0 or files < 1 or bad_files < 0:
        raise ValueError("rows and bad_files must be >= 0 and files >= 1")
    lake = Lake(lake_root)
    rng = random.Random(f"salaries:{seed}:{landing_date.isoformat()}")
    staff = staff_register(seed, rows + rows // 2 + 50 + 5 * bad_files)
    generation = _Generation(rng, landing_date, rows, staff)
    keys = []
    for plan in _file_plans(rng, landing_date, rows, files):
        with open_binary(lake, plan.key, gzipped=plan.gzip, bom=plan.bom) as sink:
            generation.write_file(sink, plan)
        keys.append(plan.key)
    for number in range(bad_files):
        key = f"raw/{DATASET}/dt={landing_date.isoformat()}/hr_export_bad_{number + 1}.csv"
        kind = BAD_FILE_KINDS[number % len(BAD_FILE_KINDS)]
        with lake.fs.open(ensure_parent(lake, key), "wb") as handle:
            handle.write(_bad_file_bytes(rng, kind, generation))
        keys.append(key)
    pin_mtimes(lake, keys, landing_date)
    return keys


# --- the staff register ------------------------------------------------------------------
def staff_register(seed: int, size: int) -> list[Employee]:
    """At least ``size`` employees; employee ``n`` depends on ``seed`` alone, so landings of
    any size generated with one seed describe the same people."""
    staff: list[Employee] = []
    for block in range(-(-size // STAFF_BLOCK)):
        staff += _staff_block(seed, block)
    return staff


def _staff_block(seed: int, block: int) -> list[Employee]:
    rng = random.Random(f"salaries-staff:{seed}:{block}")
    countries = _COUNTRIES.draw(rng, STAFF_BLOCK)
    people = []
    for offset, country in enumerate(countries):
        currency, median = _pay_of(rng, country)
        department = _DEPARTMENTS.draw(rng, 1)[0]
        pay = median * _PAY_MULTIPLIER[department] * rng.lognormvariate(0, 0.3)
        step = 100_000 if currency == "JPY" else 100  # whole yen thousands, whole units
        cents = max(step, round(pay * 100 / step) * step)
        if currency != "JPY" and rng.random() < 0.2:
            cents += rng.randrange(1, 100)  # an exact figure with cents
        people.append(
            Employee(
                employee_id=f"EMP{block * STAFF_BLOCK + offset + 1:06d}",
                name=_name(rng, country),
                department=department,
                country=country,
                currency=currency,
                salary_cents=cents,
            )
        )
    return people


def _pay_of(rng: random.Random, country: str) -> tuple[str, int]:
    options = PAY[country]
    currency, _, median = rng.choices(options, weights=[w for _, w, _ in options])[0]
    return currency, median


def _name(rng: random.Random, country: str) -> str:
    region = "IN" if country == "IN" else "other"
    first, last = rng.choice(FIRST_NAMES[region]), rng.choice(LAST_NAMES[region])
    form = rng.random()
    if form < 0.1:
        return f"{last}, {first}"  # a quoted comma in the file
    if form < 0.12:
        return f'{first} "{first[:3]}" {last}'  # a nickname in quotes
    return f"{first} {last}"


# --- spellings ---------------------------------------------------------------------------
def spell_amount(cents: int, grouping: str) -> str:
    """``cents`` as decimal text: plain, thousands-grouped or Indian (lakh) grouped."""
    units, rest = divmod(cents, 100)
    fraction = f".{rest:02d}" if rest else ""
    if grouping == "thousands":
        digits = f"{units:,}"
    elif grouping == "indian":
        text = str(units)
        head, tail = text[:-3], text[-3:]
        pairs = []
        while head:
            pairs.insert(0, head[-2:])
            head = head[:-2]
        digits = ",".join([*pairs, tail])
    else:
        digits = str(units)
    return digits + fraction


def _spell_salary(rng: random.Random, cents: int, currency: str) -> str:
    symbol = rng.choices(*zip(*SYMBOLS.get(currency, (("", 1),)), strict=True))[0]
    weights = (40, 15, 45) if currency == "INR" else (55, 45, 0)
    grouping = rng.choices(("plain", "thousands", "indian"), weights=weights)[0]
    amount = spell_amount(cents, grouping)
    if rng.random() < 0.1 and "." not in amount:
        amount += ".00"
    if rng.random() < 0.03:
        return f" {symbol}{amount} "
    return symbol + amount


def _spell_country(rng: random.Random, country: str) -> str:
    if country in COUNTRY_SPELLINGS:
        spellings = COUNTRY_SPELLINGS[country]
        return rng.choices(*zip(*spellings, strict=True))[0]
    return rng.choices((country, country.lower(), f" {country}"), weights=(90, 7, 3))[0]


def _spell_currency(rng: random.Random, employee: Employee) -> str:
    if employee.home_paid and rng.random() < 0.3:
        return ""  # the contract's default (USD for the US, INR for India)
    code = employee.currency
    return rng.choices((code, code.lower(), f" {code} "), weights=(90, 6, 4))[0]


def _spell_id(rng: random.Random, employee_id: str) -> str:
    return f" {employee_id} " if rng.random() < 0.02 else employee_id


# --- file layout -------------------------------------------------------------------------
def _file_plans(rng: random.Random, landing_date: date, rows: int, files: int) -> list[FilePlan]:
    """Split the rows over files; give each file its own key style, columns and encoding."""
    sizes = [rows // files + (1 if index < rows % files else 0) for index in range(files)]
    plans, first = [], 0
    for index, size in enumerate(sizes):
        gzipped = files >= 2 and index == 1
        dropped = {1: "department", 2: "currency", 3: "as_of_date"}.get(index)
        columns = [
            name
            for name in ALL_COLUMNS
            if name != dropped and not (name == "comments" and index % 2)
        ]
        rng.shuffle(columns)
        plans.append(
            FilePlan(
                index=index,
                key=_data_key(landing_date, index + 1, gzipped),
                first_row=first,
                rows=size,
                columns=tuple(columns),
                header=tuple(spell_header(rng, name) for name in columns),
                gzip=gzipped,
                bom=index % 2 == 0,
                crlf=index % 2 == 1,
            )
        )
        first += size
    return plans


def _data_key(landing_date: date, number: int, gzipped: bool) -> str:
    if gzipped:
        return f"raw/{DATASET}/{landing_date:%Y/%m/%d}/hr_export_{number}.csv.gz"
    return f"raw/{DATASET}/dt={landing_date.isoformat()}/hr_export_{number}.csv"


# --- rows --------------------------------------------------------------------------------
class _Generation:
    """State shared by the files of one call: roster, dirt plan, re-sendable rows."""

    def __init__(
        self, rng: random.Random, landing_date: date, rows: int, staff: list[Employee]
    ) -> None:
        self.rng = rng
        self.staff = staff
        order = rng.sample(range(len(staff)), k=len(staff))
        self.roster = order  # who appears, in order of appearance
        self.home_roster = [n for n in order if staff[n].home_paid]
        self.used = bytearray(len(staff))
        self.next_any = self.next_home = 0
        snapshot = landing_date.replace(day=1)
        earlier = [(str(landing_date - timedelta(days=d)), 25 / 60) for d in range(1, 61)]
        self.as_of = Weighted.of([(str(snapshot), 60.0), *earlier, ("", 15.0)])
        self.comments = Weighted.of(COMMENT_SPELLINGS)
        self.raises = RAISES
        self.dirty_rows, self.dirty_kinds = self._plan_dirt(rows)
        self.resendable: list[dict] = []

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

    def _take(self, home_only: bool) -> Employee:
        """The next employee not yet in this landing (US/India-paid ones when asked)."""
        roster = self.home_roster if home_only else self.roster
        position = self.next_home if home_only else self.next_any
        while self.used[roster[position]]:
            position += 1
        number = roster[position]
        self.used[number] = 1
        if home_only:
            self.next_home = position + 1
        else:
            self.next_any = position + 1
        return self.staff[number]

    def write_file(self, sink: IO[bytes], plan: FilePlan) -> None:
        """Stream one file chunk by chunk; remember some of its rows for later files."""
        sink.write(csv_text([plan.header], {}, plan.terminator).encode("utf-8"))
        file_sample: list[dict] = []
        end = plan.first_row + plan.rows
        for start in range(plan.first_row, end, CHUNK_ROWS):
            size = min(CHUNK_ROWS, end - start)
            columns = self.draw_columns(size, home_only="currency" not in plan.columns)
            broken = self._apply_specials(plan, columns, start, size, file_sample)
            records = list(zip(*(columns[name] for name in plan.columns), strict=True))
            raw_lines = {
                pos: broken_line(
                    self.rng,
                    kind,
                    records[pos],
                    plan,
                    quote_column="employee_id",
                    number_column="salary",
                    fallback="EMP000001",
                    blank_columns=("comments",),
                )
                for pos, kind in broken.items()
            }
            sink.write(csv_text(records, raw_lines, plan.terminator).encode("utf-8"))
        self.resendable = (self.resendable + file_sample)[-5_000:]

    def draw_columns(self, size: int, home_only: bool = False) -> dict[str, list]:
        """Clean rows for ``size`` employees not yet exported in this landing."""
        rng = self.rng
        people = [self._take(home_only) for _ in range(size)]
        raises = rng.choices(*zip(*self.raises, strict=True), k=size)
        return {
            "employee_id": [_spell_id(rng, p.employee_id) for p in people],
            "name": [p.name if rng.random() > 0.02 else "" for p in people],
            "department": [p.department for p in people],
            "country": [_spell_country(rng, p.country) for p in people],
            "salary": [
                _spell_salary(rng, round(p.salary_cents * factor), p.currency)
                for p, factor in zip(people, raises, strict=True)
            ],
            "currency": [_spell_currency(rng, p) for p in people],
            "as_of_date": self.as_of.draw(rng, size),
            "comments": self.comments.draw(rng, size),
            "_currency": [p.currency for p in people],  # the truth, for dirt and re-sends
            "_cents": [p.salary_cents for p in people],
        }

    def _apply_specials(
        self,
        plan: FilePlan,
        columns: dict[str, list],
        start: int,
        size: int,
        file_sample: list[dict],
    ) -> dict[int, str]:
        """Dirty, re-sent and corrected rows; returns the rows to write by hand."""
        low = bisect.bisect_left(self.dirty_rows, start)
        high = bisect.bisect_left(self.dirty_rows, start + size)
        dirty = {self.dirty_rows[i] - start: self.dirty_kinds[i] for i in range(low, high)}
        broken = {}
        for pos, kind in dirty.items():
            kind = _fitting_kind(kind, plan.columns)
            if kind in (WRONG_FIELD_COUNT, BROKEN_QUOTE):
                broken[pos] = kind
            else:
                self._dirty_value(kind, columns, pos)
        can_resend = plan.index > 0 and self.resendable and "currency" in plan.columns
        resent_count = round(size * RESENT_RATE) if can_resend else 0
        corrected_count = round(size * CORRECTED_RATE)
        wanted = min(size, len(dirty) + resent_count + 2 * corrected_count + 100)
        clean = [pos for pos in self.rng.sample(range(size), k=wanted) if pos not in dirty]
        for pos in clean[:resent_count]:
            self._resend(columns, pos, self.rng.choice(self.resendable))
        pairs = clean[resent_count : resent_count + 2 * corrected_count]
        for first, second in zip(pairs[::2], pairs[1::2], strict=False):
            earlier, later = sorted((first, second))
            self._correct(columns, earlier, later)
        sample_from = clean[resent_count + 2 * corrected_count :][:100]
        file_sample += [
            {name: values[pos] for name, values in columns.items()} for pos in sample_from
        ]
        return broken

    def _dirty_value(self, kind: str, columns: dict[str, list], pos: int) -> None:
        rng = self.rng
        if kind == "blank_required":
            columns[rng.choice(REQUIRED_COLUMNS)][pos] = rng.choice(("", "   "))
        elif kind == "missing_currency":
            columns["country"][pos] = rng.choice(("DE", "GB", "FR", "SG", "CA"))
            columns["currency"][pos] = ""
        elif kind == "symbol_mismatch":
            symbol = "$" if columns["_currency"][pos] == "INR" else "₹"
            amount = spell_amount(columns["_cents"][pos], "thousands")
            columns["salary"][pos] = symbol + amount
        else:
            column = {
                "bad_country": "country",
                "bad_salary": "salary",
                "bad_currency": "currency",
                "bad_as_of_date": "as_of_date",
            }[kind]
            columns[column][pos] = rng.choice(BAD_VALUES[column])

    def _resend(self, columns: dict[str, list], pos: int, earlier: dict) -> None:
        """An employee from an earlier file again, with another as_of_date and salary."""
        for name in ("employee_id", "name", "department", "country", "currency"):
            columns[name][pos] = earlier[name]
        columns["_currency"][pos] = earlier["_currency"]
        columns["_cents"][pos] = earlier["_cents"]
        raise_by = self.rng.choice((1.02, 1.05, 1.1))
        cents = round(earlier["_cents"] * raise_by)
        columns["salary"][pos] = _spell_salary(self.rng, cents, earlier["_currency"])
        as_of = earlier["as_of_date"]
        while as_of == earlier["as_of_date"]:
            as_of = self.as_of.draw(self.rng, 1)[0]
        columns["as_of_date"][pos] = as_of

    def _correct(self, columns: dict[str, list], earlier: int, later: int) -> None:
        """A later line of the same file repeats an employee (same date, corrected pay)."""
        for name in ("employee_id", "name", "department", "country", "currency", "as_of_date"):
            columns[name][later] = columns[name][earlier]
        columns["_currency"][later] = columns["_currency"][earlier]
        columns["_cents"][later] = columns["_cents"][earlier]
        cents = columns["_cents"][earlier] + 100 * self.rng.randint(1, 50)
        columns["salary"][later] = _spell_salary(self.rng, cents, columns["_currency"][earlier])


def _fitting_kind(kind: str, columns: tuple[str, ...]) -> str:
    """The dirt a file can carry: without ``currency`` or ``as_of_date`` it cannot hold
    those kinds, so they become a kind with the same reason."""
    if "currency" not in columns:
        kind = {"missing_currency": "blank_required", "bad_currency": "symbol_mismatch"}.get(
            kind, kind
        )
    if "as_of_date" not in columns and kind == "bad_as_of_date":
        kind = WRONG_FIELD_COUNT
    return kind


# --- whole bad files ---------------------------------------------------------------------
def _bad_file_bytes(rng: random.Random, kind: str, generation: _Generation) -> bytes:
    """A file the contract rejects whole: no salary column, empty, or not text."""
    if kind == "empty":
        return b""
    if kind == "binary":
        return b"\x89PNG\r\n\x1a\n\xff\xfe\x00" + rng.randbytes(1024)
    columns = [name for name in ALL_COLUMNS if name not in ("salary", "comments")]
    draws = generation.draw_columns(5)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*(draws[name] for name in columns), strict=True))
    return buffer.getvalue().encode("utf-8")
