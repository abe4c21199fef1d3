"""Raw ``invoices`` for one landing date: one plain-text invoice per file, as customers send them.

``generate_invoices(lake_root, landing_date, rows=N, files=K, ...)`` writes ``rows`` invoice
files (one invoice each) spread over ``files`` upload folders
``raw/invoices/dt=<date>/upload-<k>/``, plus ``bad_files`` unreadable ones. On purpose
they contain:

* clean invoices: a skewed customer pool, 1-6 items from a catalogue (descriptions with
  commas and quotes), decimal quantities for hourly items, 4-decimal unit prices for
  metered items, tax at 0/7/19/20 %, totals that are sometimes off by a cent (within the
  contract's 0.01), invoice dates from the 45 days before landing;
* format variety: BOM, CRLF, ``#`` comments, blank lines, keys in any case and with odd
  spacing (``INVOICE NUMBER``, ``customer  id``, ``Total :322.00``), item fields in any
  order with loose ``|`` spacing, unknown keys (``PO Number``, ``Due Date``, ``Notes`` with
  a ``:`` in the value), optional ``Currency`` (default USD), ``Customer Name`` and ``Tax``
  (default 0), thousands separators (``1,299.50``);
* every whole-file rejection reason at least once from 12 invoices up (``missing_field``,
  ``bad_date``, ``bad_amount``, ``total_mismatch``, ``no_items``, ``unparseable``), about
  8 % of the files;
* re-sent invoice numbers with changed content: an invoice of this landing sent again
  later (an item added or dropped, a quantity changed: the later landing wins), one re-send
  that breaks a rule (quarantined; the earlier version stays), and new versions of the
  previous landing date's invoices (``INV-<yesterday>-NNNNNN``);
* ``bad_files``: a binary file, a Latin-1 file and an empty file (the trigger Lambda's
  preflight refuses them).

Everything comes from one ``random.Random`` seeded by (seed, landing date), and file mtimes
are noon UTC + i seconds (the landing order), so the same arguments give the same bytes.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from pipeline.lake import Lake

DATASET = "invoices"
DIRTY_RATE = 0.08
RESEND_RATE = 0.05  # invoices of this landing sent again later with changed content
UPDATE_RATE = 0.05  # new versions of the previous landing date's invoices
MIN_ROWS_FOR_EVERY_REASON = 12
CENT = Decimal("0.01")
DIRT_REASONS = {
    "missing_invoice_number": "missing_field",
    "missing_customer_id": "missing_field",
    "item_without_unit_price": "missing_field",
    "missing_total": "missing_field",
    "bad_invoice_date": "bad_date",
    "us_invoice_date": "bad_date",
    "bad_total": "bad_amount",
    "negative_tax": "bad_amount",
    "bad_quantity": "bad_amount",
    "price_with_symbol": "bad_amount",
    "total_mismatch": "total_mismatch",
    "empty_items": "no_items",
    "no_items_block": "no_items",
    "free_text_line": "unparseable",
    "key_twice": "unparseable",
    "item_before_items": "unparseable",
    "bad_currency": "unparseable",
}
REASONS = (
    "missing_field",
    "bad_date",
    "bad_amount",
    "total_mismatch",
    "no_items",
    "unparseable",
)
CATALOGUE = (
    ("WID-1", "Blue widget", "10.00", "unit"),
    ("WID-2", "Red widget, small", "8.50", "unit"),
    ("GAD-7", "Gadget, large", "249.99", "unit"),
    ("CAB-3", 'Cable 3m "heavy duty"', "12.40", "unit"),
    ("SRV-H", "Consulting (hourly)", "95.00", "hour"),
    ("SRV-S", "Support: on-site visit", "180.00", "hour"),
    ("KWH-1", "Metered energy", "0.2315", "metered"),
    ("LIC-Y", "Annual licence", "1299.50", "unit"),
    ("BOX-9", "Storage box", "4.99", "unit"),
    ("SHP-1", "Shipping & handling", "15.00", "unit"),
)
CUSTOMERS = tuple(f"C-{1000 + n}" for n in range(60))
CUSTOMER_WEIGHTS = tuple(1 / (n + 1) for n in range(60))  # a few big customers, a long tail
COMPANY_WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay")
COMPANY_KINDS = ("Trading Ltd", "GmbH", "Inc.", "S.A.", "& Sons", "Holdings")
CURRENCIES = ("EUR", "EUR", "USD", "GBP", "eur")
TAX_RATES = (Decimal("0"), Decimal("0.07"), Decimal("0.19"), Decimal("0.20"))
KEY_SPELLINGS = {
    "Invoice Number": ("Invoice Number", "INVOICE NUMBER", "invoice number", "Invoice  Number"),
    "Invoice Date": ("Invoice Date", "invoice date", "INVOICE DATE"),
    "Customer ID": ("Customer ID", "customer id", "Customer  Id", "CUSTOMER ID"),
    "Customer Name": ("Customer Name", "customer name"),
    "Currency": ("Currency", "CURRENCY", "currency"),
    "Items": ("Items", "ITEMS", "items"),
    "Tax": ("Tax", "TAX", "tax"),
    "Total": ("Total", "TOTAL", "total"),
    "SKU": ("SKU", "sku", "Sku"),
    "Description": ("Description", "description", "DESCRIPTION"),
    "Quantity": ("Quantity", "quantity", "QUANTITY"),
    "Unit Price": ("Unit Price", "unit price", "UNIT PRICE", "Unit  Price"),
}
SEPARATORS = (": ", ":", " : ", " :", ":   ")


@dataclass
class Item:
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal


@dataclass
class Invoice:
    number: str
    invoice_date: date
    customer_id: str
    customer_name: str | None
    currency: str | None
    items: list[Item]
    tax: Decimal | None
    total: Decimal
    # raw text overrides, set by dirt: field name -> text (None: leave the line out)
    raw: dict[str, str | None] = field(default_factory=dict)
    item_raw: dict[tuple[int, str], str | None] = field(default_factory=dict)
    dirt: str | None = None


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _subtotal(items: list[Item]) -> Decimal:
    return sum((i.quantity * i.unit_price for i in items), Decimal(0))


def _money(value: Decimal, rng: random.Random) -> str:
    text = f"{value:.2f}"
    if value >= 1000 and rng.random() < 0.5:
        text = f"{value:,.2f}"
    return text


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _items(rng: random.Random) -> list[Item]:
    chosen = rng.sample(CATALOGUE, k=min(len(CATALOGUE), 1 + int(rng.expovariate(0.6)) % 6))
    items = []
    for sku, description, price, kind in chosen:
        if kind == "hour":
            quantity = Decimal(rng.choice(("0.5", "1", "1.5", "2.25", "4", "7.5")))
        elif kind == "metered":
            quantity = Decimal(rng.randint(50, 4000))
        else:
            quantity = Decimal(rng.choice((1, 1, 1, 2, 2, 3, 5, 10, 12)))
        items.append(Item(sku, description, quantity, Decimal(price)))
    return items


def _priced(invoice: Invoice, rng: random.Random, rate: Decimal | None = None) -> Invoice:
    """Tax and total that add up (sometimes a cent off: within the contract's 0.01)."""
    subtotal = _subtotal(invoice.items)
    rate = rng.choice(TAX_RATES) if rate is None else rate
    tax = _cents(subtotal * rate)
    total = _cents(subtotal) + tax
    if rng.random() < 0.1:
        nudged = total + rng.choice((CENT, -CENT))
        if abs(subtotal + tax - nudged) <= CENT:  # issuers round differently: still adds up
            total = nudged
    invoice.tax = tax if (tax or rng.random() < 0.5) else None
    invoice.total = total
    return invoice


def _new_invoice(number: str, landing: date, rng: random.Random) -> Invoice:
    customer = rng.choices(CUSTOMERS, weights=CUSTOMER_WEIGHTS)[0]
    name = None
    if rng.random() < 0.8:
        seed = int(customer[2:])
        name = f"{COMPANY_WORDS[seed % 8]} {COMPANY_KINDS[seed % 6]}"
    invoice = Invoice(
        number=number,
        invoice_date=landing - timedelta(days=rng.randint(0, 45)),
        customer_id=customer,
        customer_name=name,
        currency=rng.choice(CURRENCIES) if rng.random() < 0.85 else None,
        items=_items(rng),
        tax=None,
        total=Decimal(0),
    )
    return _priced(invoice, rng)


def _changed(invoice: Invoice, rng: random.Random) -> Invoice:
    """A new, still valid version of ``invoice``: an item added, dropped or re-counted."""
    items = [replace(i) for i in invoice.items]
    change = rng.choice(("add", "drop", "quantity")) if len(items) > 1 else "add"
    if change == "add":
        extra = [c for c in CATALOGUE if c[0] not in {i.sku for i in items} and c[3] == "unit"]
        sku, description, price, _ = rng.choice(extra)
        items.append(Item(sku, description, Decimal(rng.randint(1, 4)), Decimal(price)))
    elif change == "drop":
        items.pop(rng.randrange(len(items)))
    else:
        items[0].quantity += 1
    updated = replace(invoice, items=items, raw={}, item_raw={}, dirt=None)
    return _priced(updated, rng)


# --- dirt: each kind breaks exactly one rule --------------------------------------------------


def _dirty(invoice: Invoice, kind: str, rng: random.Random) -> Invoice:
    invoice.dirt = kind
    raw, item_raw = invoice.raw, invoice.item_raw
    if kind == "missing_invoice_number":
        raw["Invoice Number"] = rng.choice(("", None))
    elif kind == "missing_customer_id":
        raw["Customer ID"] = rng.choice(("", None))
    elif kind == "item_without_unit_price":
        item_raw[(len(invoice.items) - 1, "Unit Price")] = rng.choice(("", None))
    elif kind == "missing_total":
        raw["Total"] = None
    elif kind == "bad_invoice_date":
        raw["Invoice Date"] = rng.choice(("2024-02-30", "2023-13-01", "2024-3-1", "yesterday"))
    elif kind == "us_invoice_date":
        raw["Invoice Date"] = invoice.invoice_date.strftime("%m/%d/%Y")
    elif kind == "bad_total":
        total = invoice.total
        raw["Total"] = rng.choice((f"{total:.2f}".replace(".", ","), f"{total:.3f}", "n/a"))
    elif kind == "negative_tax":
        raw["Tax"] = f"-{(invoice.tax or Decimal('1.00')):.2f}"
    elif kind == "bad_quantity":
        item_raw[(0, "Quantity")] = rng.choice(("two", "0", "-1", "1.2345"))
    elif kind == "price_with_symbol":
        item_raw[(0, "Unit Price")] = f"${invoice.items[0].unit_price}"
    elif kind == "total_mismatch":
        off = Decimal(rng.choice(("0.02", "0.50", "1.00", "10.00")))  # more than 0.01 off
        invoice.total = _cents(_subtotal(invoice.items) + (invoice.tax or 0)) + off
    elif kind == "empty_items":
        invoice.items = []
    elif kind == "no_items_block":
        invoice.items = []
        raw["Items"] = None
    elif kind in ("free_text_line", "key_twice", "item_before_items", "bad_currency"):
        pass  # applied while rendering
    return invoice


# --- rendering ----------------------------------------------------------------------------------


def _key(name: str, rng: random.Random, messy: bool) -> str:
    return rng.choice(KEY_SPELLINGS[name]) if messy else name


def render(invoice: Invoice, rng: random.Random) -> str:
    """The invoice as text (``\\n`` line ends; BOM and CRLF are applied when writing)."""
    messy = rng.random() < 0.5
    sep = (lambda: rng.choice(SEPARATORS)) if messy else (lambda: ": ")
    lines: list[str] = []

    def put(name: str, value: str | None) -> None:
        if name in invoice.raw:
            value = invoice.raw[name]
        if value is not None:
            lines.append(f"{_key(name, rng, messy)}{sep()}{value}".rstrip())

    if rng.random() < 0.4:
        lines += ["# Invoice exported by BillingSuite 4.2", ""]
    put("Invoice Number", invoice.number)
    put("Invoice Date", invoice.invoice_date.isoformat())
    if invoice.dirt == "item_before_items":
        lines.append("  - SKU: ADV-0 | Description: Advance payment | Quantity: 1 | Unit Price: 0")
    put("Customer ID", invoice.customer_id if not messy else invoice.customer_id.lower())
    if invoice.customer_name is not None:
        put("Customer Name", invoice.customer_name)
    currency = "EURO" if invoice.dirt == "bad_currency" else invoice.currency
    if currency is not None:
        put("Currency", currency)
    if rng.random() < 0.3:
        lines.append(f"PO Number: PO-{rng.randint(10000, 99999)}")
    if rng.random() < 0.2:
        lines.append(f"Due Date: {invoice.invoice_date + timedelta(days=30)}")
    if rng.random() < 0.15:
        lines.append("Notes: deliver to dock 4: ring twice")
    if rng.random() < 0.3:
        lines.append("")
    if "Items" not in invoice.raw:
        lines.append(f"{_key('Items', rng, messy)}:")
    for position, item in enumerate(invoice.items):
        lines.append(_render_item(invoice, position, item, rng, messy))
        if rng.random() < 0.05:
            lines.append("  # (continued)")
    if invoice.dirt == "free_text_line":
        lines.append(rng.choice(("Thank you for your business!", "Payment within 30 days")))
    if rng.random() < 0.3:
        lines.append("")
    if invoice.tax is not None or "Tax" in invoice.raw:
        put("Tax", _money(invoice.tax, rng) if invoice.tax is not None else None)
    put("Total", _money(invoice.total, rng))
    if invoice.dirt == "key_twice":
        put("Total", _money(invoice.total + 1, rng))
    return "\n".join(lines) + ("\n" if rng.random() < 0.9 else "")


def _render_item(invoice: Invoice, position: int, item: Item, rng, messy: bool) -> str:
    values = {
        "SKU": item.sku,
        "Description": item.description,
        "Quantity": _number(item.quantity),
        "Unit Price": f"{item.unit_price:.2f}"
        if item.unit_price == item.unit_price.quantize(CENT)
        else _number(item.unit_price),
    }
    names = list(values)
    if messy and rng.random() < 0.5:
        rng.shuffle(names)
    parts = []
    for name in names:
        value = invoice.item_raw.get((position, name), values[name])
        if value is None:
            continue
        parts.append(f"{_key(name, rng, messy)}{rng.choice(SEPARATORS) if messy else ': '}{value}")
    indent = rng.choice(("  - ", "- ", "\t- ", "    -")) if messy else "  - "
    join = rng.choice((" | ", "|", "  |  ")) if messy else " | "
    return indent + join.join(parts)


def _encode(text: str, rng: random.Random) -> bytes:
    if rng.random() < 0.3:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if rng.random() < 0.2 else data


BAD_FILES = (
    ("scan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"),
    ("latin1.txt", "Invoice Number: INV-X\nCustomer Name: Müller & Söhne\n".encode("latin-1")),
    ("empty.txt", b""),
)


# --- the landing ----------------------------------------------------------------------------------


def _plan(rows: int, rng: random.Random) -> tuple[set[int], dict[int, int], int | None]:
    """Which positions are dirty, which re-send which earlier position, a bad re-send."""
    positions = list(range(rows))
    resends: dict[int, int] = {}
    if rows >= 3:
        wanted = max(1, round(rows * RESEND_RATE))
        for later in sorted(rng.sample(positions[2:], k=min(wanted, rows - 2))):
            earlier = rng.randrange(0, later)
            if earlier not in resends and earlier not in resends.values():
                resends[later] = earlier
    busy = set(resends) | set(resends.values())
    free = [p for p in positions if p not in busy]
    dirty_count = round(rows * DIRTY_RATE)
    if rows >= MIN_ROWS_FOR_EVERY_REASON:
        dirty_count = max(dirty_count, len(REASONS))
    dirty = set(rng.sample(free, k=min(dirty_count, len(free))))
    bad_resend = None
    if rows >= 20 and resends:
        originals = [p for p in resends.values() if p not in dirty]
        later = [p for p in free if p not in dirty and originals and p > min(originals)]
        if later:
            bad_resend = later[-1]
    return dirty, resends, bad_resend


def generate_invoices(
    lake_root: str,
    landing_date: date,
    rows: int = 100,
    files: int = 3,
    seed: int = 0,
    bad_files: int = 0,
) -> list[str]:
    """Write ``rows`` invoice files (+ ``bad_files`` unreadable ones); return their keys."""
    rng = random.Random(f"invoices:{seed}:{landing_date.isoformat()}")
    lake = Lake(lake_root)
    day = landing_date.strftime("%Y%m%d")
    yesterday = (landing_date - timedelta(days=1)).strftime("%Y%m%d")
    dirty, resends, bad_resend = _plan(rows, rng)
    kinds = list(DIRT_REASONS)
    # every reason first (one kind each), then any kind
    by_reason = {reason: [k for k in kinds if DIRT_REASONS[k] == reason] for reason in REASONS}
    queue = [rng.choice(by_reason[reason]) for reason in REASONS]
    rng.shuffle(queue)
    invoices: list[Invoice] = []
    updates = round(rows * UPDATE_RATE) if rows >= 5 else 0
    for position in range(rows):
        number = f"INV-{day}-{position + 1:06d}"
        if position in resends:
            invoice = _changed(invoices[resends[position]], rng)
        elif updates and position not in dirty and rng.random() < UPDATE_RATE * 2:
            updates -= 1
            number = f"INV-{yesterday}-{rng.randint(1, max(1, min(rows, 20))):06d}"
            invoice = _new_invoice(number, landing_date, rng)
        else:
            invoice = _new_invoice(number, landing_date, rng)
        if position in dirty:
            invoice = _dirty(invoice, queue.pop() if queue else rng.choice(kinds), rng)
        if position == bad_resend:
            original = invoices[min(resends.values())]
            invoice = _dirty(_changed(original, rng), "total_mismatch", rng)
        invoices.append(invoice)

    folders = max(1, files)
    keys = []
    noon = datetime.combine(landing_date, time(12), tzinfo=UTC).timestamp()
    written = 0
    for position, invoice in enumerate(invoices):
        name = f"{position + 1:05d}_{invoice.number or 'unnumbered'}.txt"
        key = f"raw/{DATASET}/dt={landing_date}/upload-{position % folders + 1}/{name}"
        _write(lake, key, _encode(render(invoice, rng), rng), noon + written)
        keys.append(key)
        written += 1
    for index in range(bad_files):
        name, content = BAD_FILES[index % len(BAD_FILES)]
        key = f"raw/{DATASET}/dt={landing_date}/upload-1/bad_{index + 1:03d}_{name}"
        _write(lake, key, content, noon + written)
        keys.append(key)
        written += 1
    return keys


def _write(lake: Lake, key: str, content: bytes, mtime: float) -> None:
    path = Path(lake.uri(key))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (mtime, mtime))
