"""Arrow schemas of processed tables as the Glue jobs write them (for Spark-free fixtures)."""

import pyarrow as pa

ORDERS_SCHEMA = pa.schema(
    [
        ("order_id", pa.string()),
        ("customer_id", pa.string()),
        ("order_date", pa.date32()),
        ("status", pa.string()),
        ("quantity", pa.int32()),
        ("unit_price", pa.decimal128(12, 2)),
        ("country", pa.string()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
        ("amount", pa.decimal128(14, 2)),
        ("order_month", pa.string()),
        ("source_key", pa.string()),
        ("source_line", pa.int32()),
    ]
)

# processed/order_totals/ (glue_lib.aggregates.order_totals): unpartitioned, rewritten whole.
ORDER_TOTALS_SCHEMA = pa.schema(
    [
        ("order_date", pa.date32()),
        ("customer_id", pa.string()),
        ("status", pa.string()),
        ("order_month", pa.string()),
        ("orders", pa.int64()),
        ("revenue", pa.decimal128(38, 2)),
    ]
)
