"""A slow, obviously-correct model of the invoices pipeline, for tests to compare against.

It re-implements ``contracts/invoices.md`` (and the pipeline's documented choices: which
values are accepted, the order of the reasons, latest landing wins) one file at a time
with the standard library and exact ``Decimal`` arithmetic. It shares no code with the
pipeline, so a mistake in the Spark job shows up as a difference instead of being copied.

Entry points: :func:`judge_text` (one file's text -> verdict), :func:`simulate_runs` (what
each run, the summaries, the CSV rendering and the database must hold).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

DATASET = "invoices"
TOLERANCE = Decimal("0.01")
CENT = Decimal("0.01")
DIGITS = frozenset("0123456789")
LIMITS = {  # decimals allowed, largest value
    "money": (2, Decimal("999999999999.99")),
    "quantity": (3, Decimal("999999999.999")),
    "unit_price": (4, Decimal("9999999999.9999")),
}
HEADER = {
    "invoice number": "invoice_number",
    "invoice date": "invoice_date",
    "customer id": "customer_id",
    "customer name": "customer_name",
    "currency": "currency",
    "tax": "tax",
    "total": "total",
}
ITEM = {"sku": "sku", "description": "description", "quantity": "quantity", "unit price": "price"}


@dataclass(frozen=True)
class Line:
    line_number: int
    sku: str | None
    description: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Invoice:
    invoice_number: str
    invoice_date: date
    customer_id: str
    customer_name: str | None
    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    lines: tuple[Line, ...]

    @property
    def invoice_month(self) -> str:
        return self.invoice_date.strftime("%Y-%m")


@dataclass(frozen=True)
class Verdict:
    """``invoice`` when the file is accepted, else ``reason``."""

    reason: str | None
    invoice: Invoice | None = None


# --- one file ------------------------------------------------------------------------------


def _key(text: str) -> str:
    return " ".join(text.split()).lower()


def _plain_number(text: str, kind: str) -> Decimal | None:
    """Digits with optional 1,234 grouping and a few decimals; None when not that."""
    decimals, largest = LIMITS[kind]
    whole, _, fraction = text.partition(".")
    if "." in text and not (1 <= len(fraction) <= decimals and set(fraction) <= DIGITS):
        return None
    groups = whole.split(",")
    if not whole or not all(groups) or not all(set(g) <= DIGITS for g in groups):
        return None
    if len(groups) > 1 and (len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])):
        return None
    try:
        value = Decimal(whole.replace(",", "") + ("." + fraction if fraction else ""))
    except InvalidOperation:
        return None
    return value if value <= largest else None


def _iso_date(text: str) -> date | None:
    parts = text.split("-")
    if [len(p) for p in parts] != [4, 2, 2] or not all(set(p) <= DIGITS for p in parts):
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def judge_text(text: str) -> Verdict:
    """The contract's verdict on one decoded file (BOM already removed)."""
    fields: dict[str, str] = {}
    items: list[dict[str, str]] = []
    seen: set[str] = set()
    block_open = False
    any_field = False
    for raw in text.split("\n"):
        line = raw.strip()
        if line == "" or line[0] == "#":
            continue
        if line[0] == "-":
            if not block_open:
                return Verdict("unparseable")
            item: dict[str, str] = {}
            for piece in line[1:].split("|"):
                if piece.strip() == "":
                    continue
                if ":" not in piece:
                    return Verdict("unparseable")
                name, value = piece.split(":", 1)
                name = _key(name)
                if name == "" or name in item:
                    return Verdict("unparseable")
                item[name] = value.strip()
            if not item:
                return Verdict("unparseable")
            items.append(item)
            continue
        if ":" not in line:
            return Verdict("unparseable")
        name, value = line.split(":", 1)
        name, value = _key(name), value.strip()
        if name == "" or name in seen:
            return Verdict("unparseable")
        seen.add(name)
        any_field = True
        block_open = name == "items"
        if block_open and value != "":
            return Verdict("unparseable")
        fields[name] = value
    if not any_field:
        return Verdict("unparseable")
    currency = fields.get("currency", "")
    if currency and not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        return Verdict("unparseable")
    for required in ("invoice number", "invoice date", "customer id", "total"):
        if not fields.get(required):
            return Verdict("missing_field")
    if any(not item.get("quantity") or not item.get("unit price") for item in items):
        return Verdict("missing_field")
    if not items:
        return Verdict("no_items")
    invoice_date = _iso_date(fields["invoice date"])
    if invoice_date is None:
        return Verdict("bad_date")
    lines = []
    exact_sum = Decimal(0)
    for number, item in enumerate(items, start=1):
        quantity = _plain_number(item["quantity"], "quantity")
        price = _plain_number(item["unit price"], "unit_price")
        if quantity is None or quantity == 0 or price is None:
            return Verdict("bad_amount")
        exact = quantity * price
        amount = exact.quantize(CENT, rounding=ROUND_HALF_UP)
        if amount > LIMITS["money"][1]:
            return Verdict("bad_amount")
        exact_sum += exact
        lines.append(
            Line(
                number,
                item.get("sku") or None,
                item.get("description") or None,
                quantity,
                price,
                amount,
            )
        )
    tax = _plain_number(fields["tax"], "money") if fields.get("tax") else Decimal(0)
    total = _plain_number(fields["total"], "money")
    subtotal = exact_sum.quantize(CENT, rounding=ROUND_HALF_UP)
    if tax is None or total is None or subtotal > LIMITS["money"][1]:
        return Verdict("bad_amount")
    if abs(exact_sum + tax - total) > TOLERANCE:
        return Verdict("total_mismatch")
    return Verdict(
        None,
        Invoice(
            invoice_number=fields["invoice number"],
            invoice_date=invoice_date,
            customer_id=fields["customer id"].upper(),
            customer_name=fields.get("customer name") or None,
            currency=(currency or "USD").upper(),
            subtotal=subtotal,
            tax=tax.quantize(CENT),
            total=total.quantize(CENT),
            lines=tuple(lines),
        ),
    )


def judge_bytes(content: bytes) -> Verdict:
    """Preflight (empty, binary, not UTF-8, blank) and then the contract's rules."""
    if not content or b"\x00" in content:
        return Verdict("unparseable")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Verdict("unparseable")
    if not text.strip():
        return Verdict("unparseable")
    return judge_text(text)


# --- runs ----------------------------------------------------------------------------------


@dataclass
class FileResult:
    key: str
    outcome: str  # valid, rejected, duplicate
    reason: str | None = None  # rule reason, duplicate_file or superseded
    invoice: Invoice | None = None
    file_order: int = 0


@dataclass
class RunResult:
    run_date: date
    files: dict[str, FileResult] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, int]:
        outcomes = Counter(f.outcome for f in self.files.values())
        return {
            "rows_read": len(self.files),
            "rows_valid": outcomes["valid"],
            "rows_rejected": outcomes["rejected"],
            "rows_duplicate": outcomes["duplicate"],
        }

    @property
    def rejections_by_reason(self) -> dict[str, int]:
        found = Counter(f.reason for f in self.files.values() if f.outcome == "rejected")
        return dict(sorted(found.items()))

    @property
    def accepted(self) -> dict[str, FileResult]:
        """Invoice number -> the file whose version the run keeps."""
        return {f.invoice.invoice_number: f for f in self.files.values() if f.outcome == "valid"}


@dataclass
class OracleResult:
    runs: dict[date, RunResult]
    latest: dict[str, tuple[date, int, Invoice]]  # number -> (run date, file order, version)

    def summaries(self) -> dict[str, list[dict]]:
        customers: dict[str, list] = {}
        months: dict[str, list] = {}
        for _, _, invoice in self.latest.values():
            for bucket, key in ((customers, invoice.customer_id), (months, invoice.invoice_month)):
                entry = bucket.setdefault(key, [0, Decimal("0.00")])
                entry[0] += 1
                entry[1] += invoice.total
        return {
            "revenue_by_customer": [
                {"customer_id": k, "invoices": n, "total": t} for k, (n, t) in customers.items()
            ],
            "monthly_invoicing": [
                {"invoice_month": k, "invoices": n, "total": t} for k, (n, t) in months.items()
            ],
        }


def landing_date_of(key: str, mtime: float) -> date:
    for part in key.split("/"):
        if part.startswith("dt="):
            try:
                return date.fromisoformat(part[3:])
            except ValueError:
                pass
    return datetime.fromtimestamp(mtime, UTC).date()


def simulate_runs(lake_root: str | Path, days: list[date]) -> OracleResult:
    """Run each date in order over the raw files of the lake, as the pipeline must."""
    root = Path(lake_root)
    raw = [p for p in (root / "raw" / DATASET).rglob("*") if p.is_file()]
    candidates = [
        (p.stat().st_mtime, p.relative_to(root).as_posix(), p)
        for p in raw
        if p.name.lower().endswith(".txt") and not p.name.startswith((".", "_"))
    ]
    used_checksums: dict[date, set[str]] = {}
    runs: dict[date, RunResult] = {}
    latest: dict[str, tuple[date, int, Invoice]] = {}
    for day in days:
        run = RunResult(day)
        todays = sorted(
            (mtime, key, path)
            for mtime, key, path in candidates
            if landing_date_of(key, mtime) == day
        )
        earlier = set().union(*(c for d, c in used_checksums.items() if d != day))
        seen: set[str] = set()
        for order, (_, key, path) in enumerate(todays):
            content = path.read_bytes()
            checksum = hashlib.sha256(content).hexdigest()
            verdict = judge_bytes(content)
            preflight_ok = content and b"\x00" not in content and _utf8_text(content)
            if preflight_ok and (checksum in earlier or checksum in seen):
                run.files[key] = FileResult(key, "duplicate", "duplicate_file", file_order=order)
                continue
            if preflight_ok:
                seen.add(checksum)
            if verdict.reason:
                run.files[key] = FileResult(key, "rejected", verdict.reason, file_order=order)
            else:
                run.files[key] = FileResult(key, "valid", None, verdict.invoice, order)
        winners: dict[str, FileResult] = {}
        for result in run.files.values():
            if result.outcome == "valid":
                number = result.invoice.invoice_number
                if number not in winners or result.file_order > winners[number].file_order:
                    winners[number] = result
        for result in run.files.values():
            if result.outcome == "valid" and winners[result.invoice.invoice_number] is not result:
                result.outcome, result.reason = "duplicate", "superseded"
        used_checksums[day] = {
            hashlib.sha256((root / k).read_bytes()).hexdigest()
            for k, f in run.files.items()
            if f.outcome == "valid"
        }
        runs[day] = run
        for number, result in winners.items():
            current = latest.get(number)
            if current is None or (day, result.file_order) >= current[:2]:
                latest[number] = (day, result.file_order, result.invoice)
    return OracleResult(runs, latest)


def _utf8_text(content: bytes) -> bool:
    try:
        return bool(content.decode("utf-8-sig").strip())
    except UnicodeDecodeError:
        return False
