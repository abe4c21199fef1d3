"""The aws target's DAG, run by Airflow (``dag.test()``) against moto: calls and parameters.

One session run covers three logical dates (see conftest.py): RUN_DATE finds two new files
and goes through every step; EMPTY_DATE has no new file and is skipped; REFUSED_DATE's
event is refused by the trigger Lambda and fails. moto executes no Lambda, Glue or Athena
work, so these tests assert what the DAG sent, never data.
"""

from __future__ import annotations

import itertools
from urllib.parse import quote_plus, unquote_plus

import pytest
from moto_support import EMPTY_DATE, EXTRA_TABLE, NAMES, REFUSED_DATE, REPO, RUN_DATE
from trigger_lambda.events import build_event

from pipeline.datasets import DATASETS
from pipeline.glue_args import glue_arguments
from pipeline.lake import Lake

pytestmark = pytest.mark.aws

STEP_IDS = [
    "sense_new_files",
    "trigger_lambda",
    "glue_job",
    "validate",
    "crawl",
    "athena_summaries",
    "run_record",
]
PROVIDER_STEPS = STEP_IDS[:-1]
SQL_DIR = REPO / "sql" / "orders"
AGGREGATE = "order_totals"  # rebuilt whole by the orders job: validated with --scope table
# the processed tables of orders in the DAG run, in validation order (the runner appends
# EXTRA_TABLE, a second run table, to the product's tables)
TABLES = ("orders", AGGREGATE, EXTRA_TABLE)


def test_each_step_id_is_the_provider_operator_named_from_settings(dag_run):
    tasks = dag_run.tasks
    assert sorted(tasks) == sorted(STEP_IDS)
    for upstream, step in itertools.pairwise(STEP_IDS):
        assert tasks[step]["upstream"] == [upstream]

    sensor = tasks["sense_new_files"]
    assert "S3KeySensor" in sensor["classes"]
    assert sensor["bucket_name"] == dag_run.bucket
    assert (sensor["bucket_key"], sensor["wildcard_match"]) == ("raw/orders/*", True)
    assert (sensor["mode"], sensor["soft_fail"], sensor["deferrable"]) == (
        "reschedule",
        True,
        False,
    )

    assert "LambdaInvokeFunctionOperator" in tasks["trigger_lambda"]["classes"]
    assert tasks["trigger_lambda"]["function_name"] == NAMES["PIPELINE_LAMBDA_FUNCTION"]
    assert tasks["trigger_lambda"]["invocation_type"] == "RequestResponse"

    for step, job in (("glue_job", "orders"), ("validate", "validate")):
        assert "GlueJobOperator" in tasks[step]["classes"]
        assert tasks[step]["job_name"] == f"{NAMES['PIPELINE_GLUE_JOB_PREFIX']}-{job}"
        assert tasks[step]["wait_for_completion"] is True

    assert "GlueCrawlerRunOperator" in tasks["crawl"]["classes"]
    assert tasks["crawl"]["crawler_name"] == f"{NAMES['PIPELINE_GLUE_CRAWLER_PREFIX']}-orders"

    athena = tasks["athena_summaries"]
    assert "AthenaOperator" in athena["classes"]
    assert athena["database"] == NAMES["PIPELINE_GLUE_DATABASE"]
    assert athena["workgroup"] == NAMES["PIPELINE_ATHENA_WORKGROUP"]
    assert athena["max_active_tis_per_dag"] == 1  # one run publishes the summaries at a time
    assert tasks["glue_job"]["max_active_tis_per_dag"] == 1  # one rebuilds the aggregates

    assert tasks["run_record"]["trigger_rule"] == "all_done"
    for step in PROVIDER_STEPS:
        assert tasks[step]["aws_conn_id"] == NAMES["PIPELINE_AWS_CONN_ID"]
        assert tasks[step]["region_name"] == NAMES["PIPELINE_AWS_REGION"]
        callbacks = tasks[step]["callbacks"]
        assert callbacks["on_success_callback"] >= 1, step
        assert callbacks["on_failure_callback"] >= 1, step
        assert callbacks["on_skipped_callback"] >= 1, step


def test_production_defaults_defer_and_parsing_makes_no_network_call(dag_run):
    defaults = dag_run.tasks_with_defaults
    for step in ("glue_job", "validate", "crawl", "athena_summaries"):
        assert defaults[step]["deferrable"] is True, step
    assert defaults["sense_new_files"]["deferrable"] is False  # see aws_tasks.sense_new_files
    assert dag_run.parse_connection_attempts == []


def test_the_deferrable_path_resumes_through_every_query_and_job_run(dag_run):
    # conftest's runner answers each deferral with its trigger's success event (no triggerer)
    deferral = dag_run.deferral
    statements = len(list((SQL_DIR / "views").glob("*.sql"))) + len(list(SQL_DIR.glob("*.sql")))
    athena = deferral["athena_summaries"]["deferrals"]
    assert [d["method"] for d in athena] == ["resume_statements"] * statements
    assert [d["kwargs"]["position"] for d in athena] == list(range(statements))
    assert {d["trigger"].rsplit(".", 1)[-1] for d in athena} == {"AthenaTrigger"}
    summaries = sorted(p.stem for p in SQL_DIR.glob("*.sql"))
    assert sorted(deferral["athena_summaries"]["result"]) == summaries

    validate = deferral["validate"]["deferrals"]
    # one validation job run per processed table, the aggregate included
    assert [(d["method"], d["kwargs"]["position"]) for d in validate] == [
        ("resume_runs", position) for position in range(len(TABLES))
    ]
    assert {d["trigger"].rsplit(".", 1)[-1] for d in validate} == {"GlueJobCompleteTrigger"}
    run_ids = deferral["validate"]["result"]
    assert [r[:3] for r in run_ids] == ["jr_"] * len(TABLES)
    assert len(set(run_ids)) == len(TABLES)
    assert [d["kwargs"]["run_ids"] for d in validate] == [
        run_ids[: position + 1] for position in range(len(TABLES))
    ]

    for step in ("glue_job", "crawl"):
        assert [d["method"] for d in deferral[step]["deferrals"]] == ["execute_complete"], step
    assert deferral["crawl"]["result"] == f"{NAMES['PIPELINE_GLUE_CRAWLER_PREFIX']}-orders"


def test_runs_end_as_expected(dag_run):
    assert dag_run.runs[RUN_DATE]["tasks"] == dict.fromkeys(STEP_IDS, "success")
    assert dag_run.runs[EMPTY_DATE]["tasks"] == dict.fromkeys(STEP_IDS, "skipped")
    refused = dag_run.runs[REFUSED_DATE]["tasks"]
    assert refused["sense_new_files"] == "success"
    assert refused["trigger_lambda"] == "failed"
    assert {refused[s] for s in ("glue_job", "validate", "crawl", "athena_summaries")} == {
        "upstream_failed"
    }
    assert refused["run_record"] == "failed"


def test_sensor_selects_the_run_dates_unprocessed_data_files(dag_run):
    new_files = dag_run.runs[RUN_DATE]["new_files"]
    # not: already_processed.csv (listed by a successful earlier run), other_day.csv and
    # late.csv (other landing dates), readme.txt and _SUCCESS (not data files)
    assert sorted(f["key"] for f in new_files) == sorted(dag_run.seeded["new"])
    assert all(f["size"] > 0 and f["modified"] > 0 for f in new_files)
    assert [f["key"] for f in dag_run.runs[REFUSED_DATE]["new_files"]] == [
        f"raw/orders/dt={REFUSED_DATE}/late.csv"
    ]
    assert dag_run.runs[EMPTY_DATE]["new_files"] is None


def test_lambda_gets_the_s3_shaped_event_of_the_runs_files(dag_run):
    invokes = [c for c in dag_run.calls if c.path.endswith("/invocations")]
    function = NAMES["PIPELINE_LAMBDA_FUNCTION"]
    assert [c.path for c in invokes] == [f"/2015-03-31/functions/{function}/invocations"] * 2
    assert all(c.header("X-Amz-Invocation-Type") == "RequestResponse" for c in invokes)

    event = invokes[0].json()
    keys = [f["key"] for f in dag_run.runs[RUN_DATE]["new_files"]]
    assert event == build_event(dag_run.lake_root, "orders", RUN_DATE, keys)
    assert event["pipeline"] == {
        "dataset": "orders",
        "run_date": RUN_DATE,
        "lake_root": dag_run.lake_root,
    }
    sent = sorted(r["s3"]["object"]["key"] for r in event["Records"])
    assert sent == sorted(quote_plus(k, safe="/") for k in dag_run.seeded["new"])  # as S3 does
    assert {r["s3"]["bucket"]["name"] for r in event["Records"]} == {dag_run.bucket}

    late = invokes[1].json()
    assert late["pipeline"]["run_date"] == REFUSED_DATE
    assert [unquote_plus(r["s3"]["object"]["key"]) for r in late["Records"]] == [
        f"raw/orders/dt={REFUSED_DATE}/late.csv"
    ]


def test_glue_jobs_start_with_their_names_and_the_runs_arguments(dag_run):
    starts = [c.json() for c in dag_run.targeted("AWSGlue.StartJobRun")]
    prefix = NAMES["PIPELINE_GLUE_JOB_PREFIX"]
    spec = DATASETS["orders"]
    assert (*spec.tables, EXTRA_TABLE) == TABLES and spec.aggregates == (AGGREGATE,)
    # the validation job runs once per processed table, in order
    assert [s["JobName"] for s in starts] == [
        f"{prefix}-orders",
        *[f"{prefix}-validate"] * len(TABLES),
    ]
    clean, *validations = (s["Arguments"] for s in starts)
    assert clean == glue_arguments(Lake(dag_run.lake_root), "orders", RUN_DATE)

    def run(table: str) -> dict[str, str]:
        return {
            "--dataset": "orders",
            "--table": table,
            "--lake_root": dag_run.lake_root,
            "--run_date": RUN_DATE,
            "--suite_uri": f"s3://test-artifacts/glue/expectations/{table}.json",
        }

    # run tables: their run_date partition against rows_valid_by_table of job_counts.json;
    # the aggregate (not in rows_valid_by_table): the whole table, no row count
    assert validations == [
        {**run("orders"), "--expected_rows": "3"},
        {**run(AGGREGATE), "--scope": "table"},
        {**run(EXTRA_TABLE), "--expected_rows": "0"},
    ]
    assert "--expected_rows" not in validations[1]


def test_crawler_starts_by_name(dag_run):
    starts = [c.json() for c in dag_run.targeted("AWSGlue.StartCrawler")]
    assert starts == [{"Name": f"{NAMES['PIPELINE_GLUE_CRAWLER_PREFIX']}-orders"}]


def test_athena_runs_each_sql_file_verbatim_views_first(dag_run):
    queries = [c.json() for c in dag_run.targeted("AmazonAthena.StartQueryExecution")]
    views = sorted((SQL_DIR / "views").glob("*.sql"))  # none since orders_latest was dropped
    summaries = sorted(SQL_DIR.glob("*.sql"))
    assert sorted(p.stem for p in summaries) == sorted(DATASETS["orders"].summaries)
    # every view file, then every summary file, each exactly once and as written
    assert [q["QueryString"] for q in queries] == [
        p.read_text(encoding="utf-8") for p in [*views, *summaries]
    ]
    for query in queries:
        assert query["QueryExecutionContext"]["Database"] == NAMES["PIPELINE_GLUE_DATABASE"]
        assert query["WorkGroup"] == NAMES["PIPELINE_ATHENA_WORKGROUP"]
    locations = [q["ResultConfiguration"]["OutputLocation"] for q in queries]
    root = dag_run.lake_root
    assert locations == [
        *(f"{root}/_runs/orders/{RUN_DATE}/athena/{p.stem}/" for p in views),
        *(f"{root}/enriched/orders/{p.stem}/" for p in summaries),
    ]
    # the statements run as views are exactly the sql dir's views (none, today)
    view_runs = [loc for loc in locations if loc.startswith(f"{root}/_runs/")]
    assert [loc.rstrip("/").rsplit("/", 1)[-1] for loc in view_runs] == [p.stem for p in views]


def test_a_rerun_leaves_no_earlier_result_under_a_summary(dag_run):
    assert dag_run.s3_keys("enriched/orders/sales_by_customer/") == []  # moto writes none
    deletes = [c for c in dag_run.calls if c.method == "POST" and c.path == f"/{dag_run.bucket}"]
    assert any(b"earlier-query.csv" in c.body for c in deletes)
    summaries = dag_run.s3_json(f"_runs/orders/{RUN_DATE}/summaries.json")
    assert sorted(summaries) == sorted(p.stem for p in SQL_DIR.glob("*.sql"))


def test_run_record_reconciles_and_times_every_step(dag_run):
    record = dag_run.s3_json(f"_runs/orders/{RUN_DATE}/run.json")
    assert record["status"] == "success", record.get("error")
    assert record["totals"]["rows_read"] == record["totals"]["rows_valid"] == 3
    assert sorted(f["key"] for f in record["files"]) == sorted(dag_run.seeded["new"])
    assert sorted(record["timings"]) == sorted(STEP_IDS)
    for step in STEP_IDS:
        result = record["steps"][step]
        assert result["status"] == "success", step
        assert result["seconds"] >= 0 and result["started_at"] <= result["finished_at"], step
    assert record["steps"]["sense_new_files"]["files"] == 2
    assert record["steps"]["trigger_lambda"]["counts"] == dag_run.seeded["lambda_answer"]["counts"]
    assert record["steps"]["glue_job"]["job_run_id"].startswith("jr_")
    # one validation run per processed table; "success" above also means the aggregate took
    # no part in the reconciliation (no order_totals partition is seeded, and
    # rows_valid_by_table does not report it: had it been reconciled, the run would fail)
    job_run_ids = record["steps"]["validate"]["job_run_ids"]
    assert len(job_run_ids) == len(set(job_run_ids)) == len(TABLES)
    assert all(run_id.startswith("jr_") for run_id in job_run_ids)


def test_skipped_and_failed_runs_are_recorded(dag_run):
    skipped = dag_run.s3_json(f"_runs/orders/{EMPTY_DATE}/run.json")
    assert skipped["status"] == "skipped"
    assert skipped["steps"]["sense_new_files"]["status"] == "skipped"
    assert "nothing to do" in skipped["steps"]["sense_new_files"]["detail"]

    failed = dag_run.s3_json(f"_runs/orders/{REFUSED_DATE}/run.json")
    assert failed["status"] == "failed"
    assert failed["steps"]["trigger_lambda"]["status"] == "failed"
    assert "refused the event" in failed["steps"]["trigger_lambda"]["error"]
    assert "trigger_lambda" in failed["error"]
    assert "glue_job" not in failed["steps"]


def test_a_new_attempt_forgets_the_step_results_of_the_last_one(dag_run):
    # a stale steps/glue_job.json was seeded for EMPTY_DATE: had the sensor not cleared it,
    # the run record would not say "skipped"
    steps = dag_run.s3_keys(f"_runs/orders/{EMPTY_DATE}/steps/")
    assert sorted(key.rsplit("/", 1)[-1] for key in steps if key.endswith(".json")) == [
        "run_record.json",
        "sense_new_files.json",
    ]
