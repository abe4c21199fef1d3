"""
### Invoices pipeline

Text invoices (`raw/invoices/`, one `.txt` per invoice) for the run's logical date are
preflighted by the trigger Lambda, parsed into header and line records by the `invoices`
Glue job (a file breaking a rule is quarantined whole, with one reason; a re-sent invoice
number replaces the earlier version), validated with Great Expectations (one suite per
table), then in parallel upserted into PostgreSQL (`invoices`, `invoice_lines`) and
catalogued by the crawler and summarised by Athena into `enriched/invoices/`. Every run
writes `_runs/invoices/<date>/run.json`; a run whose counts do not reconcile fails.

Backfill historic files with
`airflow backfill create --dag-id invoices_pipeline --from-date D1 --to-date D2`.
"""

from pipeline.orchestration.dag import pipeline_dag, steps_for

with pipeline_dag("invoices", doc_md=__doc__) as dag:
    step = steps_for("invoices")
    validate, crawl, summaries = step.validate(), step.crawl(), step.athena_summaries()
    load = step.load_postgres()
    step.sense_new_files() >> step.trigger_lambda() >> step.glue_job() >> validate
    validate >> [load, crawl]
    crawl >> summaries
    [load, summaries] >> step.run_record()
