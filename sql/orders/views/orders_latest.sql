-- The latest version of each order over all runs: a later run may carry a newer version
-- (a status change) of an earlier order, and every summary must count it once, as it is
-- now. Newest updated_at wins (a version without one loses), then the latest run, then the
-- latest source file and line.
CREATE OR REPLACE VIEW orders_latest AS
SELECT
    order_id,
    customer_id,
    order_date,
    status,
    quantity,
    unit_price,
    country,
    updated_at,
    amount,
    order_month,
    run_date,
    source_key,
    source_line
FROM (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY order_id
            ORDER BY updated_at DESC NULLS LAST, run_date DESC, source_key DESC, source_line DESC
        ) AS version_rank
    FROM orders
) AS versions
WHERE version_rank = 1
