-- Per customer: the invoices (latest versions) and their invoiced total, tax included.
-- Totals are summed as written, whatever the currency.
SELECT
    customer_id,
    count(*) AS invoices,
    CAST(sum(total) AS DECIMAL(38, 2)) AS total
FROM invoices_latest
GROUP BY customer_id
ORDER BY customer_id
