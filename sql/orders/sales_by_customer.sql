-- Per customer, over order_totals (the latest version of each order, summed per order date,
-- customer and status by the Glue job): every order counts; cancelled and returned orders
-- add nothing to revenue (their revenue is 0 in the table).
SELECT
    customer_id,
    CAST(sum(orders) AS BIGINT) AS orders,
    CAST(sum(revenue) AS DECIMAL(38, 2)) AS revenue,
    min(order_date) AS first_order_date,
    max(order_date) AS last_order_date
FROM order_totals
GROUP BY customer_id
ORDER BY customer_id
