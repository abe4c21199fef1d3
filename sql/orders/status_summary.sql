-- Orders per status, over order_totals, and their share of all orders (0-1, 4 decimals,
-- exact: a DECIMAL(38, 4) divided by a count rounds half up to 4 decimals).
WITH by_status AS (
    SELECT
        status,
        CAST(sum(orders) AS BIGINT) AS orders
    FROM order_totals
    GROUP BY status
)
SELECT
    status,
    orders,
    round(
        CAST(orders AS DECIMAL(38, 4)) / CAST(sum(orders) OVER () AS BIGINT), 4
    ) AS share_of_orders
FROM by_status
ORDER BY status
