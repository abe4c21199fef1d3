-- One row over all orders. average_order_value = revenue / orders neither cancelled nor
-- returned (NULL when there are none); revenue is 0 when there are no orders at all.
WITH totals AS (
    SELECT
        count(*) AS orders,
        count_if(status NOT IN ('cancelled', 'returned')) AS revenue_orders,
        coalesce(
            sum(CASE WHEN status IN ('cancelled', 'returned') THEN 0 ELSE amount END), 0
        ) AS revenue
    FROM orders_latest
)
SELECT
    orders,
    CAST(revenue AS DECIMAL(38, 2)) AS revenue,
    round(CAST(revenue AS DECIMAL(38, 2)) / nullif(revenue_orders, 0), 2) AS average_order_value
FROM totals
