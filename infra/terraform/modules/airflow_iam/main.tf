# The role Airflow's AWS connection uses (MWAA execution role, or assumed by a self-managed
# Airflow through `role_arn` in the aws_default connection). It orchestrates: invoke the trigger
# Lambda, start/watch Glue jobs and crawlers, run Athena queries, read the lake, write run
# records and enriched summaries, and consume raw/ events.

locals {
  glue_arn_prefix = "arn:${var.partition}:glue:${var.aws_region}:${var.account_id}"
  logs_arn_prefix = "arn:${var.partition}:logs:${var.aws_region}:${var.account_id}:log-group"

  lake_read_prefixes = concat(
    [for d in var.datasets : "raw/${d}"],
    [for t in var.processed_tables : "processed/${t}"],
    [for d in var.datasets : "quarantine/${d}"],
    [for d in var.datasets : "enriched/${d}"],
    [for d in var.datasets : "_runs/${d}"],
    ["data_docs", "_athena_results"],
  )
  # Athena writes query results, CTAS/UNLOAD writes enriched summaries, Airflow writes run records.
  lake_write_prefixes = concat(
    [for d in var.datasets : "enriched/${d}"],
    [for d in var.datasets : "_runs/${d}"],
    ["_athena_results"],
  )
}

data "aws_iam_policy_document" "assume" {
  statement {
    # MWAA (harmless when MWAA is not used: a role can only be passed within this account).
    sid     = "Mwaa"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = length(var.trusted_principal_arns) == 0 ? [] : [var.trusted_principal_arns]
    content {
      sid     = "SelfManagedAirflow"
      effect  = "Allow"
      actions = ["sts:AssumeRole"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  description        = "Airflow execution role for the pipeline (MWAA or self-managed)"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "this" {
  statement {
    sid    = "InvokeTriggerLambda"
    effect = "Allow"
    actions = [
      "lambda:InvokeFunction",
      "lambda:GetFunction",
    ]
    resources = [var.lambda_function_arn, "${var.lambda_function_arn}:*"]
  }

  statement {
    sid    = "RunGlueJobs"
    effect = "Allow"
    actions = [
      "glue:GetJob",
      "glue:StartJobRun",
      "glue:GetJobRun",
      "glue:GetJobRuns",
      "glue:BatchStopJobRun",
    ]
    resources = var.glue_job_arns
  }

  statement {
    sid    = "RunGlueCrawlers"
    effect = "Allow"
    actions = [
      "glue:GetCrawler",
      "glue:StartCrawler",
      "glue:StopCrawler",
    ]
    resources = var.glue_crawler_arns
  }

  statement {
    # GlueJobOperator(verbose=True) streams the job's driver logs into the task log.
    sid    = "ReadGlueLogs"
    effect = "Allow"
    actions = [
      "logs:DescribeLogStreams",
      "logs:GetLogEvents",
      "logs:FilterLogEvents",
    ]
    resources = [
      "${local.logs_arn_prefix}:/aws-glue/*",
      "${local.logs_arn_prefix}:/aws-glue/*:*",
    ]
  }

  statement {
    # The run record step publishes the run's figures (pipeline/steps/metrics.py).
    # PutMetricData has no resource-level permissions: the namespace condition scopes it.
    sid       = "PublishPipelineMetrics"
    effect    = "Allow"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace]
    }
  }

  statement {
    sid    = "RunAthenaQueries"
    effect = "Allow"
    actions = [
      "athena:GetWorkGroup",
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:StopQueryExecution",
    ]
    resources = [var.athena_workgroup_arn]
  }

  statement {
    # Athena uses the caller's catalog permissions; CTAS for enriched summaries creates and
    # replaces tables, and MSCK/ALTER TABLE adds partitions.
    sid    = "CatalogForAthena"
    effect = "Allow"
    actions = [
      "glue:GetDatabase",
      "glue:GetDatabases",
      "glue:GetTable",
      "glue:GetTables",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:DeleteTable",
      "glue:CreatePartition",
      "glue:BatchCreatePartition",
    ]
    resources = [
      "${local.glue_arn_prefix}:catalog",
      "${local.glue_arn_prefix}:database/${var.glue_database_name}",
      "${local.glue_arn_prefix}:table/${var.glue_database_name}/*",
    ]
  }

  statement {
    sid    = "ListLake"
    effect = "Allow"
    actions = [
      "s3:ListBucket",
      "s3:GetBucketLocation",
    ]
    resources = [var.lake_bucket_arn]
  }

  statement {
    sid       = "ReadLake"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [for p in local.lake_read_prefixes : "${var.lake_bucket_arn}/${p}/*"]
  }

  statement {
    sid    = "WriteRunRecordsResultsAndSummaries"
    effect = "Allow"
    actions = [
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
    ]
    resources = [for p in local.lake_write_prefixes : "${var.lake_bucket_arn}/${p}/*"]
  }

  statement {
    sid       = "ReadGlueScripts"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${var.artifacts_bucket_arn}/${var.scripts_prefix}*"]
  }

  statement {
    sid    = "ConsumeRawEvents"
    effect = "Allow"
    actions = [
      "sqs:GetQueueUrl",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
    ]
    resources = [var.events_queue_arn]
  }

  statement {
    sid    = "UsePipelineKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "kms:DescribeKey",
    ]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "pipeline-orchestration"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
