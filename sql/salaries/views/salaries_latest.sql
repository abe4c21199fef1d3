-- The latest version of each employee over all runs: a later export may carry a raise (a
-- newer as_of_date) of an employee from an earlier run, and every summary must count each
-- employee once, as paid now. Latest as_of_date wins (a version without one loses), then
-- the latest run, then the latest source file and line.
CREATE OR REPLACE VIEW salaries_latest AS
SELECT
    employee_id,
    name,
    department,
    country,
    salary,
    currency,
    as_of_date,
    run_date,
    source_key,
    source_line
FROM (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY employee_id
            ORDER BY as_of_date DESC NULLS LAST, run_date DESC, source_key DESC, source_line DESC
        ) AS version_rank
    FROM salaries
) AS versions
WHERE version_rank = 1
