-- Per order month, over order_totals. average_order_value = revenue / orders neither
-- cancelled nor returned (NULL when there are none). Money stays DECIMAL: dividing
-- DECIMAL(38, 2) by a count is exact and rounds half up to 2 decimals, once, at the end.
WITH monthly AS (
    SELECT
        order_month,
        CAST(sum(orders) AS BIGINT) AS orders,
        CAST(
            sum(CASE WHEN status IN ('cancelled', 'returned') THEN 0 ELSE orders END) AS BIGINT
        ) AS revenue_orders,
        sum(revenue) AS revenue
    FROM order_totals
    GROUP BY order_month
)
SELECT
    order_month,
    orders,
    CAST(revenue AS DECIMAL(38, 2)) AS revenue,
    round(CAST(revenue AS DECIMAL(38, 2)) / nullif(revenue_orders, 0), 2) AS average_order_value
FROM monthly
ORDER BY order_month
