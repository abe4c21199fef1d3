"""
### Salaries pipeline

HR salary exports (`raw/salaries/`, CSV or CSV.gz; required columns `employee_id`,
`country`, `salary`) for the run's logical date are preflighted by the trigger Lambda,
cleaned by the `salaries` Glue job (countries to ISO alpha-2, `₹12,50,000` / `$85,000`
salaries to decimals, currencies defaulted to USD/INR for the US/India; bad rows to
`quarantine/salaries/`), validated with Great Expectations, catalogued by the crawler and
summarised by Athena into `enriched/salaries/`: `salary_by_country` (headcount, total,
average, median, min and max per country and currency) and `india_vs_us` (India in INR
and the US in USD, side by side). Summaries use each employee's latest version (latest
`as_of_date`) across runs. Every run writes `_runs/salaries/<date>/run.json`; a run whose
counts do not reconcile fails.

Backfill historic files with
`airflow backfill create --dag-id salaries_pipeline --from-date D1 --to-date D2`.
"""

from pipeline.orchestration.dag import pipeline_dag, steps_for

with pipeline_dag("salaries", doc_md=__doc__) as dag:
    step = steps_for("salaries")
    (
        step.sense_new_files()
        >> step.trigger_lambda()
        >> step.glue_job()
        >> step.validate()
        >> step.crawl()
        >> step.athena_summaries()
        >> step.run_record()
    )
