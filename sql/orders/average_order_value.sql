-- One row over all orders, from order_totals. average_order_value = revenue / orders
-- neither cancelled nor returned (NULL when there are none); orders and revenue are 0 when
-- there are no orders at all.
WITH totals AS (
    SELECT
        coalesce(CAST(sum(orders) AS BIGINT), 0) AS orders,
        coalesce(
            CAST(
                sum(CASE WHEN status IN ('cancelled', 'returned') THEN 0 ELSE orders END)
                AS BIGINT
            ),
            0
        ) AS revenue_orders,
        coalesce(sum(revenue), 0) AS revenue
    FROM order_totals
)
SELECT
    orders,
    CAST(revenue AS DECIMAL(38, 2)) AS revenue,
    round(CAST(revenue AS DECIMAL(38, 2)) / nullif(revenue_orders, 0), 2) AS average_order_value
FROM totals
