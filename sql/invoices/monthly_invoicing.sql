-- Per invoice month (YYYY-MM of the invoice date): the invoices (latest versions) and their
-- invoiced total, tax included. Totals are summed as written, whatever the currency.
SELECT
    invoice_month,
    count(*) AS invoices,
    CAST(sum(total) AS DECIMAL(38, 2)) AS total
FROM invoices_latest
GROUP BY invoice_month
ORDER BY invoice_month
