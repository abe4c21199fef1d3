-- Per country and currency (salaries in different currencies are never added up).
-- average and median round half up to 2 decimals, once, at the end: DECIMAL(38, 2) divided
-- by a count is exact in Trino. Trino has no exact median aggregate (approx_percentile is
-- approximate), so the median is the middle salary of the ordered group, or the average
-- of the middle two when the headcount is even: positions (n + 1) / 2 and (n + 2) / 2 in
-- integer division are the same position for odd n and the two middle ones for even n.
WITH ranked AS (
    SELECT
        country,
        currency,
        salary,
        row_number() OVER (PARTITION BY country, currency ORDER BY salary) AS position,
        count(*) OVER (PARTITION BY country, currency) AS group_size
    FROM salaries_latest
)
SELECT
    country,
    currency,
    count(*) AS headcount,
    CAST(sum(salary) AS DECIMAL(38, 2)) AS total_salary,
    round(CAST(sum(salary) AS DECIMAL(38, 2)) / count(*), 2) AS average_salary,
    round(
        CAST(
            sum(
                CASE
                    WHEN position IN ((group_size + 1) / 2, (group_size + 2) / 2) THEN salary
                END
            ) AS DECIMAL(38, 2)
        )
        / count_if(position IN ((group_size + 1) / 2, (group_size + 2) / 2)),
        2
    ) AS median_salary,
    CAST(min(salary) AS DECIMAL(38, 2)) AS min_salary,
    CAST(max(salary) AS DECIMAL(38, 2)) AS max_salary
FROM ranked
GROUP BY country, currency
ORDER BY country, currency
