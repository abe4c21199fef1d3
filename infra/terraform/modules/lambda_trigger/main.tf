# Trigger Lambda: lists raw/<dataset>/ objects for a run, copies unusable files to
# quarantine/<dataset>/files/, and writes _runs/<dataset>/<date>/manifest.json for the Glue job.
# Airflow invokes it (PIPELINE_LAMBDA_FUNCTION); it is not subscribed to S3 events itself.

locals {
  log_group_name = "/aws/lambda/${var.function_name}"
  lake_root      = "s3://${var.lake_bucket_name}"
}

data "archive_file" "package" {
  type        = "zip"
  source_dir  = var.source_dir
  output_path = "${var.build_dir}/${var.function_name}.zip"
  excludes = [
    "**/__pycache__/**",
    "**/*.pyc",
    "**/tests/**",
  ]
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_sqs_queue" "dlq" {
  name                              = "${var.function_name}-dlq"
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600 # 14 days
}

data "aws_iam_policy_document" "assume" {
  statement {
    # No aws:SourceAccount condition: Lambda does not reliably send it on sts:AssumeRole, and an
    # execution role can only be passed (iam:PassRole) within this account anyway.
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.function_name}-lambda"
  description        = "Execution role of the ${var.function_name} Lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "permissions" {
  statement {
    sid    = "WriteOwnLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["arn:${var.partition}:logs:${var.aws_region}:${var.account_id}:log-group:${local.log_group_name}:*"]
  }

  statement {
    # X-Ray trace upload actions have no resource-level permissions.
    sid    = "XRayTracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid    = "UsePipelineKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "ListOwnPrefixes"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.lake_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values = flatten([
        for d in var.datasets : [
          "raw/${d}", "raw/${d}/*",
          "_runs/${d}", "_runs/${d}/*",
          "quarantine/${d}/files", "quarantine/${d}/files/*",
        ]
      ])
    }
  }

  statement {
    sid    = "ReadRawAndRunRecords"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:GetObjectTagging",
    ]
    resources = flatten([
      for d in var.datasets : [
        "${var.lake_bucket_arn}/raw/${d}/*",
        "${var.lake_bucket_arn}/_runs/${d}/*",
      ]
    ])
  }

  statement {
    sid    = "WriteQuarantinedFilesAndManifests"
    effect = "Allow"
    actions = [
      "s3:PutObject",
      "s3:PutObjectTagging",
    ]
    resources = flatten([
      for d in var.datasets : [
        "${var.lake_bucket_arn}/quarantine/${d}/files/*",
        "${var.lake_bucket_arn}/_runs/${d}/*",
      ]
    ])
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "trigger-lambda"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The function only calls S3, SQS, CloudWatch and X-Ray public endpoints and reaches no private resource; a VPC would only add NAT/endpoint cost and cold-start latency.
  #checkov:skip=CKV_AWS_272:The package is built by Terraform from the reviewed repository (archive_file) in the same apply; there is no separately distributed artifact for AWS Signer to vouch for.
  function_name = var.function_name
  description   = "Builds the per-run manifest of raw files and quarantines unusable ones"
  role          = aws_iam_role.this.arn
  runtime       = var.runtime
  handler       = var.handler

  filename         = data.archive_file.package.output_path
  source_code_hash = data.archive_file.package.output_base64sha256

  timeout                        = var.timeout_seconds
  memory_size                    = var.memory_mb
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = {
      PIPELINE_TARGET    = "aws"
      PIPELINE_LAKE_ROOT = local.lake_root
    }
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}
