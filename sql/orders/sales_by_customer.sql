-- Per customer: every order counts; cancelled and returned orders add nothing to revenue.
SELECT
    customer_id,
    count(*) AS orders,
    CAST(
        sum(CASE WHEN status IN ('cancelled', 'returned') THEN 0 ELSE amount END)
        AS DECIMAL(38, 2)
    ) AS revenue,
    min(order_date) AS first_order_date,
    max(order_date) AS last_order_date
FROM orders_latest
GROUP BY customer_id
ORDER BY customer_id
