-- Orders per status and their share of all orders (0-1, 4 decimals, exact: a DECIMAL(38, 4)
-- divided by a count rounds half up to 4 decimals).
SELECT
    status,
    count(*) AS orders,
    round(CAST(count(*) AS DECIMAL(38, 4)) / sum(count(*)) OVER (), 4) AS share_of_orders
FROM orders_latest
GROUP BY status
ORDER BY status
