"""The invoices contract: text invoices parsed into header and line records, then checked.

Two halves, as the contract's two concerns:

* **Parsing** (:func:`parse_invoice_text`, plain Python inside ``mapInArrow`` by
  :func:`read_invoices`): one file's ``key: value`` text into one record per file with the
  header fields as raw strings and an ``items`` array of raw item fields. Only the
  *structure* is judged here (``unparseable``); values stay raw strings.
* **Rules** (:func:`clean_invoices`, Spark expressions only, higher-order functions over
  ``items``): required fields, dates, amounts, the total check, one ``reason`` per file
  (the first failing rule, in the order of :data:`REASONS`) and a readable ``detail``.

The text format (``contracts/invoices.md``): UTF-8 (BOM allowed), LF or CRLF; blank lines
and lines whose first non-blank character is ``#`` are ignored; keys are matched
case-insensitively with runs of spaces collapsed, spaces around ``:`` are free and a value
runs to the end of the line (it may contain ``:``). ``Items:`` opens the item block; each
item is a line starting with ``-`` whose fields are separated by ``|``. Unknown keys are
ignored (``PO Number:``, ``Notes:`` ...). A line that is none of these, a key given twice,
an item outside the item block or an item field that is not ``key: value`` makes the file
``unparseable``.

Accepted values: ``Invoice Date`` is ``YYYY-MM-DD``; amounts are plain decimals
(``1299.50`` or ``1,299.50``, no sign, no currency symbol): ``Tax`` and ``Total`` at most 2
decimals, ``Unit Price`` at most 4, ``Quantity`` at most 3 and above 0. ``Currency`` is a
3-letter code (upper-cased; absent or blank means ``USD``), ``Tax`` absent or blank means
0. Each line's ``amount`` is ``quantity x unit price`` rounded half-up to cents; the file's
``Total`` must equal the exact sum of the lines plus tax within 0.01.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

DATASET = "invoices"
HEADER_TABLE = "invoices"
LINES_TABLE = "invoice_lines"
KEY = "invoice_number"

UNPARSEABLE = "unparseable"
MISSING_FIELD = "missing_field"
NO_ITEMS = "no_items"
BAD_DATE = "bad_date"
BAD_AMOUNT = "bad_amount"
TOTAL_MISMATCH = "total_mismatch"
# Precedence: a file breaking several rules is quarantined with the first of these.
REASONS = (UNPARSEABLE, MISSING_FIELD, NO_ITEMS, BAD_DATE, BAD_AMOUNT, TOTAL_MISMATCH)

HEADER_KEYS = {
    "invoice number": "invoice_number",
    "invoice date": "invoice_date",
    "customer id": "customer_id",
    "customer name": "customer_name",
    "currency": "currency",
    "tax": "tax",
    "total": "total",
}
ITEMS_KEY = "items"
ITEM_KEYS = {
    "sku": "sku",
    "description": "description",
    "quantity": "quantity",
    "unit price": "unit_price",
}
HEADER_FIELDS = tuple(HEADER_KEYS.values())
ITEM_FIELDS = tuple(ITEM_KEYS.values())
REQUIRED_HEADER = ("invoice_number", "invoice_date", "customer_id", "total")
REQUIRED_ITEM = ("quantity", "unit_price")
LABELS = {v: k.title().replace("Id", "ID") for k, v in HEADER_KEYS.items()}  # for details
DEFAULT_CURRENCY = "USD"
TOLERANCE = "0.01"

MONEY_TYPE = "decimal(14,2)"  # tax, total, subtotal, line amount
QUANTITY_TYPE = "decimal(12,3)"
UNIT_PRICE_TYPE = "decimal(14,4)"
MAX_MONEY = "999999999999.99"
MAX_QUANTITY = "999999999.999"
MAX_UNIT_PRICE = "9999999999.9999"

HEADER_COLUMNS = (
    "invoice_number",
    "invoice_date",
    "customer_id",
    "customer_name",
    "currency",
    "subtotal",
    "tax",
    "total",
    "line_count",
    "invoice_month",
    "source_key",
    "file_order",
)
LINE_COLUMNS = (
    "invoice_number",
    "line_number",
    "sku",
    "description",
    "quantity",
    "unit_price",
    "amount",
    "source_key",
    "source_line",
)
QUARANTINE_COLUMNS = ("source_key", "reason", "detail", "invoice_number")
# The CSV rendering of an invoice: one row per line, the header's fields on every row.
CSV_COLUMNS = (
    "invoice_number",
    "invoice_date",
    "customer_id",
    "customer_name",
    "currency",
    "line_number",
    "sku",
    "description",
    "quantity",
    "unit_price",
    "amount",
    "subtotal",
    "tax",
    "total",
)

# [0-9], not \d; \z, not $ (Java's $ also matches before a final line break).
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\z"
_CURRENCY = r"^[A-Za-z]{3}\z"


def _amount_pattern(decimals: int) -> str:
    return rf"^([0-9]{{1,3}}(,[0-9]{{3}})+|[0-9]+)(\.[0-9]{{1,{decimals}}})?\z"


# --- parsing (plain Python) -------------------------------------------------------------


@dataclass
class ParsedInvoice:
    """One file's raw fields: header values (``None`` = key absent) and items."""

    header: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(HEADER_FIELDS))
    items: list[dict] = field(default_factory=list)
    error: str | None = None  # ``unparseable`` or None
    detail: str | None = None


class _Unparseable(ValueError):
    pass


def _normal_key(text: str) -> str:
    return " ".join(text.split()).lower()


def _split_field(text: str, line: int) -> tuple[str, str]:
    if ":" not in text:
        raise _Unparseable(f"line {line}: {text.strip()[:60]!r} is not 'key: value'")
    key, value = text.split(":", 1)
    key = _normal_key(key)
    if not key:
        raise _Unparseable(f"line {line}: no key before ':'")
    return key, value.strip()


def _parse_item(text: str, line: int, number: int) -> dict:
    item: dict = {"line_number": number, "source_line": line, **dict.fromkeys(ITEM_FIELDS)}
    seen: set[str] = set()
    for part in text.split("|"):
        if not part.strip():
            continue  # a stray or trailing '|'
        key, value = _split_field(part, line)
        if key in seen:
            raise _Unparseable(f"line {line}: item field {key!r} given twice")
        seen.add(key)
        if key in ITEM_KEYS:
            item[ITEM_KEYS[key]] = value
    if not seen:
        raise _Unparseable(f"line {line}: item without fields")
    return item


def parse_invoice_text(text: str) -> ParsedInvoice:
    """The raw fields of one invoice file (already decoded, BOM removed)."""
    parsed = ParsedInvoice()
    try:
        _parse_into(parsed, text)
    except _Unparseable as exc:
        parsed.error, parsed.detail = UNPARSEABLE, str(exc)
    return parsed


def _parse_into(parsed: ParsedInvoice, text: str) -> None:
    seen: set[str] = set()
    in_items = False
    fields = 0
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            if not in_items:
                raise _Unparseable(f"line {number}: item line outside the Items: block")
            parsed.items.append(_parse_item(line[1:], number, len(parsed.items) + 1))
            continue
        key, value = _split_field(line, number)
        if key in seen:
            raise _Unparseable(f"line {number}: {key!r} given twice")
        seen.add(key)
        fields += 1
        in_items = key == ITEMS_KEY
        if in_items and value:
            raise _Unparseable(f"line {number}: 'Items:' must end the line, items follow it")
        if key in HEADER_KEYS:
            parsed.header[HEADER_KEYS[key]] = value
    if not fields:
        raise _Unparseable("no 'key: value' line at all")


def decode_text(content: bytes) -> str:
    """UTF-8 with or without BOM (the trigger Lambda let only such files through)."""
    return content.decode("utf-8-sig")


def item_struct() -> T.StructType:
    return T.StructType(
        [
            T.StructField("line_number", T.IntegerType(), False),
            T.StructField("source_line", T.IntegerType(), False),
            *[T.StructField(f"raw_{name}", T.StringType(), True) for name in ITEM_FIELDS],
        ]
    )


def record_schema() -> T.StructType:
    """One record per file: lineage, the parse verdict, raw header fields, raw items."""
    return T.StructType(
        [
            T.StructField("source_key", T.StringType(), False),
            T.StructField("parse_error", T.StringType(), True),
            T.StructField("parse_detail", T.StringType(), True),
            *[T.StructField(f"raw_{name}", T.StringType(), True) for name in HEADER_FIELDS],
            T.StructField("items", T.ArrayType(item_struct(), False), True),
        ]
    )


def _arrow_schema() -> pa.Schema:
    item = pa.struct(
        [pa.field("line_number", pa.int32(), False), pa.field("source_line", pa.int32(), False)]
        + [pa.field(f"raw_{name}", pa.string()) for name in ITEM_FIELDS]
    )
    return pa.schema(
        [pa.field("source_key", pa.string(), False)]
        + [pa.field(name, pa.string()) for name in ("parse_error", "parse_detail")]
        + [pa.field(f"raw_{name}", pa.string()) for name in HEADER_FIELDS]
        + [pa.field("items", pa.list_(pa.field("item", item, False)))]
    )


def invoice_record(key: str, content: bytes) -> dict:
    """The Arrow/Spark record of one raw file (see :func:`record_schema`)."""
    try:
        parsed = parse_invoice_text(decode_text(content))
    except UnicodeDecodeError as exc:
        parsed = ParsedInvoice(error=UNPARSEABLE, detail=f"not UTF-8 text ({exc.reason})")
    return {
        "source_key": key,
        "parse_error": parsed.error,
        "parse_detail": parsed.detail,
        **{f"raw_{name}": value for name, value in parsed.header.items()},
        "items": [
            {
                "line_number": item["line_number"],
                "source_line": item["source_line"],
                **{f"raw_{name}": item[name] for name in ITEM_FIELDS},
            }
            for item in parsed.items
        ],
    }


def _records_from_files(key_of: dict[str, str], batch_files: int = 500):
    """The function mapInArrow runs: (path, content) batches in, one record per file out."""
    schema = _arrow_schema()

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        buffer: list[dict] = []
        for batch in batches:
            paths = batch.column("path").to_pylist()
            contents = batch.column("content").to_pylist()
            for path, content in zip(paths, contents, strict=True):
                buffer.append(invoice_record(key_of[path], content))
                if len(buffer) >= batch_files:
                    yield pa.RecordBatch.from_pylist(buffer, schema=schema)
                    buffer = []
        if buffer:
            yield pa.RecordBatch.from_pylist(buffer, schema=schema)

    return run


def read_invoices(spark: SparkSession, files: dict[str, str]) -> DataFrame:
    """Parse ``files`` (``{uri: lake key}``) into one raw record per file."""
    if not files:
        return spark.createDataFrame([], record_schema())
    raw = spark.read.format("binaryFile").load([escape_glob(uri) for uri in files])
    qualified = {qualified_uri(spark, uri): key for uri, key in files.items()}
    return raw.select("path", "content").mapInArrow(_records_from_files(qualified), record_schema())


def escape_glob(path: str) -> str:
    """Hadoop treats load() paths as globs; escape so odd file names load literally."""
    return re.sub(r"([\\*?\[\]{}])", r"\\\1", path)


def qualified_uri(spark: SparkSession, uri: str) -> str:
    """The path string Spark's file sources report for ``uri`` (``file:/…`` locally)."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs.makeQualified(path).toString()


def unreadable_records(spark: SparkSession, files: list[tuple[str, str]]) -> DataFrame:
    """Records for files the trigger Lambda refused (``bad_file``): ``unparseable`` with the
    preflight's detail, so every landed file is one record of the run."""
    blanks = (None,) * len(HEADER_FIELDS)
    rows = [(key, UNPARSEABLE, detail, *blanks, []) for key, detail in files]
    return spark.createDataFrame(rows, record_schema())


# --- rules (Spark expressions) ------------------------------------------------------------


def _blank(column: Column) -> Column:
    return column.isNull() | (F.trim(column) == "")


def parse_amount(text: Column, decimals: int, type_: str, maximum: str) -> Column:
    """``1,299.50`` style text -> ``type_``; null unless well-formed and <= ``maximum``."""
    value = F.trim(text)
    number = F.when(
        value.rlike(_amount_pattern(decimals)),
        F.regexp_replace(value, ",", "").cast(f"decimal(38,{decimals})"),
    )
    return F.when(number <= F.lit(maximum).cast(f"decimal(38,{decimals})"), number.cast(type_))


def parse_money(text: Column) -> Column:
    return parse_amount(text, 2, MONEY_TYPE, MAX_MONEY)


def parse_quantity(text: Column) -> Column:
    quantity = parse_amount(text, 3, QUANTITY_TYPE, MAX_QUANTITY)
    return F.when(quantity > 0, quantity)


def parse_unit_price(text: Column) -> Column:
    return parse_amount(text, 4, UNIT_PRICE_TYPE, MAX_UNIT_PRICE)


def parse_invoice_date(text: Column) -> Column:
    value = F.trim(text)
    return F.when(value.rlike(_ISO_DATE), F.to_date(value, "yyyy-MM-dd"))


def _quoted(column: Column) -> Column:
    return F.concat(F.lit("'"), F.coalesce(column, F.lit("")), F.lit("'"))


def _first_line_number(items: Column, predicate) -> Column:
    return F.filter(items, predicate)[0]["line_number"].cast("string")


def _clean_items(items: Column) -> Column:
    """Each raw item with its parsed values and exact amount (nulls where a value is bad)."""

    def clean(item: Column) -> Column:
        quantity = parse_quantity(item["raw_quantity"])
        unit_price = parse_unit_price(item["raw_unit_price"])
        exact = quantity * unit_price  # decimal(27,7): exact
        return F.struct(
            item["line_number"].alias("line_number"),
            item["source_line"].alias("source_line"),
            F.nullif(F.trim(item["raw_sku"]), F.lit("")).alias("sku"),
            F.nullif(F.trim(item["raw_description"]), F.lit("")).alias("description"),
            quantity.alias("quantity"),
            unit_price.alias("unit_price"),
            exact.cast("decimal(30,7)").alias("exact_amount"),
            F.round(exact, 2).alias("rounded_amount"),
            item["raw_quantity"].alias("raw_quantity"),
            item["raw_unit_price"].alias("raw_unit_price"),
        )

    return F.transform(F.coalesce(items, F.array().cast(T.ArrayType(item_struct()))), clean)


def _item_missing(item: Column) -> Column:
    return _blank(item["raw_quantity"]) | _blank(item["raw_unit_price"])


def _item_bad(item: Column) -> Column:
    too_large = item["rounded_amount"] > F.lit(MAX_MONEY).cast("decimal(38,2)")
    return item["quantity"].isNull() | item["unit_price"].isNull() | too_large


def _not(label: str, raw: str, what: str) -> Column:
    return F.concat(F.lit(f"{label} "), _quoted(F.col(raw)), F.lit(f" is not {what}"))


def rules(items: Column) -> list[tuple[Column, str, Column]]:
    """``(broken, reason, detail)`` per rule, in precedence order (see :data:`REASONS`).

    Expects the staged columns of :func:`clean_invoices` (raw fields, parsed values,
    ``exact_subtotal``) and ``items`` as cleaned by :func:`_clean_items`.
    """
    col = F.col
    currency = F.trim(col("raw_currency"))
    difference = F.abs(col("exact_subtotal") + col("tax") - col("total"))
    return [
        (col("parse_error").isNotNull(), UNPARSEABLE, col("parse_detail")),
        (
            ~_blank(currency) & ~currency.rlike(_CURRENCY),
            UNPARSEABLE,
            _not("Currency", "raw_currency", "a 3-letter code"),
        ),
        *[
            (_blank(col(f"raw_{name}")), MISSING_FIELD, F.lit(f"no {LABELS[name]}"))
            for name in REQUIRED_HEADER
        ],
        (
            F.exists(items, _item_missing),
            MISSING_FIELD,
            F.concat(
                F.lit("item "),
                _first_line_number(items, _item_missing),
                F.lit(" lacks Quantity or Unit Price"),
            ),
        ),
        (F.size(items) == 0, NO_ITEMS, F.lit("no items")),
        (
            col("invoice_date").isNull(),
            BAD_DATE,
            _not("Invoice Date", "raw_invoice_date", "YYYY-MM-DD"),
        ),
        (
            F.exists(items, _item_bad),
            BAD_AMOUNT,
            F.concat(
                F.lit("item "),
                _first_line_number(items, _item_bad),
                F.lit(": bad Quantity or Unit Price"),
            ),
        ),
        (
            ~_blank(col("raw_tax")) & col("tax").isNull(),
            BAD_AMOUNT,
            _not("Tax", "raw_tax", "an amount"),
        ),
        (col("total").isNull(), BAD_AMOUNT, _not("Total", "raw_total", "an amount")),
        (col("subtotal").isNull(), BAD_AMOUNT, F.lit("the items' sum is too large")),
        (
            difference > F.lit(TOLERANCE).cast("decimal(3,2)"),
            TOTAL_MISMATCH,
            F.concat(
                F.lit("Total "),
                col("total").cast("string"),
                F.lit(" != items "),
                col("exact_subtotal").cast("decimal(38,4)").cast("string"),
                F.lit(" + tax "),
                col("tax").cast("string"),
            ),
        ),
    ]


def first_failing(checks: list[tuple[Column, str, Column]]) -> tuple[Column, Column]:
    """``reason`` and ``detail`` of the first broken rule (null, null when none is)."""
    (broken, reason, detail), *rest = checks
    reason_col, detail_col = F.when(broken, F.lit(reason)), F.when(broken, detail)
    for broken, reason, detail in rest:
        reason_col, detail_col = (
            reason_col.when(broken, F.lit(reason)),
            detail_col.when(broken, detail),
        )
    return reason_col, detail_col


def clean_invoices(records: DataFrame) -> DataFrame:
    """Add cleaned header columns, cleaned ``items``, ``reason`` and ``detail`` per file."""
    raw = {name: F.col(f"raw_{name}") for name in HEADER_FIELDS}
    items = _clean_items(F.col("items"))
    exact_subtotal = F.aggregate(
        "_items",
        F.lit(0).cast("decimal(30,7)"),
        lambda total, item: (total + item["exact_amount"]).cast("decimal(30,7)"),
    )
    staged = records.withColumn("_items", items).select(
        "*",
        F.nullif(F.trim(raw["invoice_number"]), F.lit("")).alias("invoice_number"),
        parse_invoice_date(raw["invoice_date"]).alias("invoice_date"),
        F.nullif(F.upper(F.trim(raw["customer_id"])), F.lit("")).alias("customer_id"),
        F.nullif(F.trim(raw["customer_name"]), F.lit("")).alias("customer_name"),
        F.when(_blank(raw["currency"]), F.lit(DEFAULT_CURRENCY))
        .otherwise(F.upper(F.trim(raw["currency"])))
        .alias("currency"),
        F.when(_blank(raw["tax"]), F.lit(0).cast(MONEY_TYPE))
        .otherwise(parse_money(raw["tax"]))
        .alias("tax"),
        parse_money(raw["total"]).alias("total"),
        exact_subtotal.alias("exact_subtotal"),
    )
    subtotal = F.round(F.col("exact_subtotal"), 2)
    staged = staged.withColumn(
        "subtotal",
        F.when(subtotal <= F.lit(MAX_MONEY).cast("decimal(38,2)"), subtotal.cast(MONEY_TYPE)),
    )
    reason, detail = first_failing(rules(F.col("_items")))
    lines = F.transform(
        "_items",
        lambda i: F.struct(
            i["line_number"].alias("line_number"),
            i["source_line"].alias("source_line"),
            i["sku"].alias("sku"),
            i["description"].alias("description"),
            i["quantity"].alias("quantity"),
            i["unit_price"].alias("unit_price"),
            i["rounded_amount"].cast(MONEY_TYPE).alias("amount"),
        ),
    )
    return (
        staged.withColumn("reason", reason)
        .withColumn("detail", detail)
        .withColumn("lines", lines)
        .withColumn("line_count", F.size("_items"))
        .withColumn("invoice_month", F.date_format("invoice_date", "yyyy-MM"))
        .drop("_items", "exact_subtotal")
    )


def latest_first() -> list[Column]:
    """Among valid versions of one invoice number, the latest landing wins."""
    return [F.col("file_order").desc_nulls_last(), F.col("source_key").desc()]


def header_rows(valid: DataFrame) -> DataFrame:
    """The ``invoices`` table: one row per accepted invoice."""
    return valid.select(
        *[F.col(c).cast("int") if c == "file_order" else F.col(c) for c in HEADER_COLUMNS]
    )


def line_rows(valid: DataFrame) -> DataFrame:
    """The ``invoice_lines`` table: one row per item of an accepted invoice."""
    return valid.select("invoice_number", "source_key", F.inline("lines")).select(*LINE_COLUMNS)


def quarantine_rows(rejected: DataFrame) -> DataFrame:
    """One row per rejected file: key, reason, detail and the invoice number as written."""
    return rejected.select(
        "source_key",
        "reason",
        "detail",
        F.nullif(F.trim("raw_invoice_number"), F.lit("")).alias("invoice_number"),
    )


def csv_rows(valid: DataFrame) -> DataFrame:
    """The CSV rendering: one row per line with the header fields repeated on each."""
    headers = valid.select(
        "invoice_number",
        "invoice_date",
        "customer_id",
        "customer_name",
        "currency",
        "subtotal",
        "tax",
        "total",
        F.inline("lines"),
    )
    return headers.select(*CSV_COLUMNS)


# --- per-file counts ---------------------------------------------------------------------

SUPERSEDED = "superseded"


def run_counts(manifest_files: list[dict], outcomes: list[dict]) -> dict:
    """``job_counts.json`` of a run: every landed file is one record.

    ``outcomes`` has one dict per file (``source_key``, ``outcome``, ``reason``, ``detail``,
    ``invoice_number``, ``line_count``). Per file exactly one of ``rows_valid``,
    ``rows_rejected`` (with the rule's reason) or ``rows_duplicate`` (a ``duplicate_file``,
    or a valid version ``superseded`` by a later landing of the same invoice number) is 1,
    so ``files_read = files_valid + files_rejected + files_duplicate`` holds by construction.
    Line counts ride along as ``totals_extra``.
    """
    from .outcomes import DUPLICATE, REJECTED, VALID
    from .run_counts import assemble_counts

    by_key = {o["source_key"]: o for o in outcomes}
    missing = [f["key"] for f in manifest_files if f["key"] not in by_key]
    if missing or len(by_key) != len(outcomes):
        raise ValueError(f"files without exactly one outcome: {missing or 'duplicated keys'}")
    winners = {o["invoice_number"]: o["source_key"] for o in outcomes if o["outcome"] == VALID}
    per_file = [
        {
            "source_key": o["source_key"],
            "rows_read": 1,
            "rows_valid": int(o["outcome"] == VALID),
            "rows_rejected": int(o["outcome"] == REJECTED),
            "rows_duplicate": int(o["outcome"] == DUPLICATE),
        }
        for o in outcomes
    ]
    per_reason = [
        {"source_key": o["source_key"], "reason": o["reason"], "rows": 1}
        for o in outcomes
        if o["outcome"] == REJECTED
    ]
    counts = assemble_counts([f["key"] for f in manifest_files], per_file, per_reason, {})
    status = {f["key"]: f["status"] for f in manifest_files}
    lines = dict.fromkeys((VALID, REJECTED, DUPLICATE), 0)
    for item in counts["files"]:
        found = by_key[item["key"]]
        if found.get("invoice_number"):
            item["invoice_number"] = found["invoice_number"]
        item["lines"] = int(found.get("line_count") or 0)
        lines[found["outcome"]] += item["lines"]
        if found["outcome"] == REJECTED:
            item.update(reason=found["reason"], detail=found.get("detail"))
        elif found["outcome"] == DUPLICATE and status[item["key"]] == "accepted":
            item.update(reason=SUPERSEDED, replaced_by=winners.get(found["invoice_number"]))
    counts["totals_extra"] = {
        "files_valid": counts["totals"]["rows_valid"],
        "lines_valid": lines[VALID],
        "lines_rejected": lines[REJECTED],
        "lines_duplicate": lines[DUPLICATE],
    }
    counts["rows_valid_by_table"] = {
        HEADER_TABLE: counts["totals"]["rows_valid"],
        LINES_TABLE: lines[VALID],
    }
    return counts
