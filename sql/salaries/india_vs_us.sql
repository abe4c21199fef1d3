-- India and the US side by side, each in its own currency: always two rows (IN, US).
-- Only employees paid in the country's own currency count (an Indian employee paid in
-- USD is not added to rupees, and there is no exchange rate to convert with); they
-- still appear in salary_by_country under their own (country, currency) row. With no
-- such employee: headcount 0, total_salary 0.00, average_salary NULL.
WITH countries (country, currency) AS (
    VALUES ('IN', 'INR'), ('US', 'USD')
)
SELECT
    countries.country,
    count(staff.employee_id) AS headcount,
    CAST(coalesce(sum(staff.salary), 0) AS DECIMAL(38, 2)) AS total_salary,
    round(
        CAST(sum(staff.salary) AS DECIMAL(38, 2)) / nullif(count(staff.employee_id), 0), 2
    ) AS average_salary
FROM countries
LEFT JOIN salaries_latest AS staff
    ON staff.country = countries.country AND staff.currency = countries.currency
GROUP BY countries.country
ORDER BY countries.country
