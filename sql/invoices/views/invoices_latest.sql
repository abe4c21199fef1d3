-- The latest version of each invoice over all runs: the same invoice number arriving again
-- replaces the earlier version. The later run date wins, within a run the later landing
-- (file_order, then source_key) - the order the PostgreSQL load uses too.
CREATE OR REPLACE VIEW invoices_latest AS
SELECT
    invoice_number,
    invoice_date,
    customer_id,
    customer_name,
    currency,
    subtotal,
    tax,
    total,
    line_count,
    invoice_month,
    run_date,
    source_key,
    file_order
FROM (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY invoice_number
            ORDER BY run_date DESC, file_order DESC, source_key DESC
        ) AS version_rank
    FROM invoices
) AS versions
WHERE version_rank = 1
