# Two roles: one for the jobs and one for the crawlers. Every S3 grant is scoped to the
# datasets/tables configured; catalog grants (crawler only) to this database.
#
# The job role grants exactly what the jobs call:
# - the manifest, job_counts.json and validation results: Spark's Hadoop file system
#   (on Glue: EMRFS) GET/PUT/DELETE under _runs/<dataset>/, data_docs/;
# - raw files: the tokenizer streams them with s3fs (ranged GETs; a HEAD is a GET grant),
#   the invoices job copies rejected ones to quarantine/ (GET, PUT);
# - processed/<table>/, quarantine/<dataset>/, enriched/<dataset>/: Spark's DataFrameWriter
#   and Glue's output committer (LIST, PUT, multipart, DELETE of staging and replaced
#   partitions; the job reads the stored partition and the table's history back);
# - no Data Catalog: the jobs read and write paths; the crawler catalogs the tables;
# - the pipeline's KMS key: Decrypt to read, GenerateDataKey to write (SSE-KMS needs no
#   kms:Encrypt).

locals {
  logs_arn_prefix = "arn:${var.partition}:logs:${var.aws_region}:${var.account_id}:log-group"
  glue_arn_prefix = "arn:${var.partition}:glue:${var.aws_region}:${var.account_id}"

  catalog_resources = [
    "${local.glue_arn_prefix}:catalog",
    "${local.glue_arn_prefix}:database/${var.database_name}",
    "${local.glue_arn_prefix}:table/${var.database_name}/*",
  ]

  # Key prefixes (without trailing slash) each role works under.
  job_read_prefixes = concat(
    [for d in var.datasets : "raw/${d}"],
    [for t in local.all_tables : "processed/${t}"],
    [for d in var.datasets : "quarantine/${d}"],
    [for d in var.datasets : "enriched/${d}"],
    [for d in var.datasets : "_runs/${d}"],
    ["data_docs"],
  )
  job_write_prefixes = concat(
    [for t in local.all_tables : "processed/${t}"],
    [for d in var.datasets : "quarantine/${d}"],
    [for d in var.datasets : "enriched/${d}"],
    [for d in var.datasets : "_runs/${d}"],
    ["data_docs"],
  )
  crawler_prefixes = [for t in local.all_tables : "processed/${t}"]
}

data "aws_iam_policy_document" "assume_glue" {
  statement {
    # No aws:SourceAccount condition: Glue does not reliably send it on sts:AssumeRole, and an
    # execution role can only be passed (iam:PassRole) within this account anyway.
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Job role
# ---------------------------------------------------------------------------------------------

resource "aws_iam_role" "job" {
  name               = "${var.name_prefix}-glue-job"
  description        = "Runs the ${var.name_prefix} Glue ETL and validation jobs"
  assume_role_policy = data.aws_iam_policy_document.assume_glue.json
}

data "aws_iam_policy_document" "job" {
  statement {
    sid       = "ListLakePrefixes"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.lake_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = flatten([for p in local.job_read_prefixes : [p, "${p}/*"]])
    }
  }

  statement {
    sid       = "ReadLakePrefixes"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [for p in local.job_read_prefixes : "${var.lake_bucket_arn}/${p}/*"]
  }

  statement {
    # Spark overwrites partitions and cleans up its _temporary output, hence Delete; the
    # "<prefix>_$folder$" keys are directory markers Glue's S3 client may create.
    sid    = "WriteLakePrefixes"
    effect = "Allow"
    actions = [
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
    ]
    resources = flatten([
      for p in local.job_write_prefixes : [
        "${var.lake_bucket_arn}/${p}/*",
        "${var.lake_bucket_arn}/${p}_$folder$",
      ]
    ])
  }

  statement {
    sid       = "ReadCode"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${var.artifacts_bucket_arn}/${var.scripts_prefix}*"]
  }

  statement {
    # --TempDir is Glue's own scratch space (Glue writes there itself); the jobs' code
    # writes nothing to it.
    sid       = "ListTempDir"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.artifacts_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.temp_prefix}*"]
    }
  }

  statement {
    sid    = "UseTempDir"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
    ]
    resources = ["${var.artifacts_bucket_arn}/${var.temp_prefix}*"]
  }

  statement {
    # Continuous logging; with the security configuration Glue associates the CMK with its
    # log groups (names start with /aws-glue/).
    sid    = "GlueLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:AssociateKmsKey",
    ]
    resources = [
      "${local.logs_arn_prefix}:/aws-glue/*",
      "${local.logs_arn_prefix}:/aws-glue/*:*",
    ]
  }

  statement {
    # PutMetricData has no resource-level permissions; limited to the Glue namespace.
    sid       = "GlueMetrics"
    effect    = "Allow"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
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

resource "aws_iam_role_policy" "job" {
  name   = "glue-job"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job.json
}

# ---------------------------------------------------------------------------------------------
# Crawler role
# ---------------------------------------------------------------------------------------------

resource "aws_iam_role" "crawler" {
  name               = "${var.name_prefix}-glue-crawler"
  description        = "Runs the ${var.name_prefix} Glue crawlers over processed/"
  assume_role_policy = data.aws_iam_policy_document.assume_glue.json
}

data "aws_iam_policy_document" "crawler" {
  statement {
    sid       = "ListProcessedTables"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.lake_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = flatten([for p in local.crawler_prefixes : [p, "${p}/*"]])
    }
  }

  statement {
    sid       = "ReadProcessedTables"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [for p in local.crawler_prefixes : "${var.lake_bucket_arn}/${p}/*"]
  }

  statement {
    sid    = "CatalogTables"
    effect = "Allow"
    actions = [
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:GetTables",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
      "glue:CreatePartition",
      "glue:BatchCreatePartition",
      "glue:UpdatePartition",
      "glue:BatchUpdatePartition",
    ]
    resources = local.catalog_resources
  }

  statement {
    sid    = "CrawlerLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:AssociateKmsKey",
    ]
    resources = [
      "${local.logs_arn_prefix}:/aws-glue/crawlers*",
      "${local.logs_arn_prefix}:/aws-glue/crawlers*:*",
    ]
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

resource "aws_iam_role_policy" "crawler" {
  name   = "glue-crawler"
  role   = aws_iam_role.crawler.id
  policy = data.aws_iam_policy_document.crawler.json
}
