"""
### Orders pipeline

Raw order exports (`raw/orders/`, CSV or CSV.gz) for the run's logical date are
preflighted by the trigger Lambda, cleaned by the `orders` Glue job (bad rows to
`quarantine/orders/`), validated with Great Expectations, catalogued by the crawler and
summarised by Athena into `enriched/orders/`. Every run writes
`_runs/orders/<date>/run.json`; a run whose counts do not reconcile fails.

Backfill historic files with
`airflow backfill create --dag-id orders_pipeline --from-date D1 --to-date D2`.
"""

from pipeline.orchestration.dag import pipeline_dag, steps_for

with pipeline_dag("orders", doc_md=__doc__) as dag:
    step = steps_for("orders")
    (
        step.sense_new_files()
        >> step.trigger_lambda()
        >> step.glue_job()
        >> step.validate()
        >> step.crawl()
        >> step.athena_summaries()
        >> step.run_record()
    )
