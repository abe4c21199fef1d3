# Glue: one clean job per dataset (<prefix>-<dataset>), one shared validation job
# (<prefix>-validate), the catalog database, one crawler per dataset over its processed tables,
# and a security configuration encrypting S3 output, CloudWatch logs and bookmarks with the CMK.

locals {
  artifacts_root = "s3://${var.artifacts_bucket_name}"
  lake_root      = "s3://${var.lake_bucket_name}"
  scripts_uri    = "${local.artifacts_root}/${trimsuffix(var.scripts_prefix, "/")}"

  tables_by_dataset = {
    for d in var.datasets : d => lookup(var.processed_tables, d, [d])
  }
  all_tables = distinct(flatten(values(local.tables_by_dataset)))

  job_names         = { for d in var.datasets : d => "${var.name_prefix}-${d}" }
  validate_job_name = "${var.name_prefix}-validate"
  crawler_names     = { for d in var.datasets : d => "${var.name_prefix}-${d}" }

  # Arguments every job gets. Job bookmarks are off on purpose: the pipeline records which raw
  # files each run consumed in _runs/<dataset>/<date>/ (run records + manifests), so bookmarks
  # would track the same thing a second time and could silently skip re-runs/backfills.
  common_arguments = {
    "--extra-py-files"                   = "${local.scripts_uri}/glue_lib.zip"
    "--additional-python-modules"        = join(",", var.additional_python_modules)
    "--job-bookmark-option"              = "job-bookmark-disable"
    "--enable-metrics"                   = "true"
    "--enable-continuous-cloudwatch-log" = "true"
    "--job-language"                     = "python"
    "--TempDir"                          = "${local.artifacts_root}/${var.temp_prefix}"
    "--lake_root"                        = local.lake_root
  }
}

# ---------------------------------------------------------------------------------------------
# Code: scripts and the glue_lib helper package, uploaded to the artifacts bucket.
# source_hash (not etag) triggers re-uploads: with SSE-KMS the object ETag is not the MD5 of the
# content, so an etag = filemd5(...) argument would show a diff on every plan.
# ---------------------------------------------------------------------------------------------

resource "aws_s3_object" "job_script" {
  for_each = toset(var.datasets)

  bucket                 = var.artifacts_bucket_name
  key                    = "${var.scripts_prefix}${each.key}_job.py"
  source                 = "${var.glue_jobs_dir}/${each.key}_job.py"
  source_hash            = filemd5("${var.glue_jobs_dir}/${each.key}_job.py")
  content_type           = "text/x-python"
  server_side_encryption = "aws:kms"
  kms_key_id             = var.kms_key_arn
}

# The expectation suites the validate job reads (--suite_uri <scripts>/expectations/<table>.json).
resource "aws_s3_object" "expectation_suite" {
  for_each               = toset(local.all_tables)
  bucket                 = var.artifacts_bucket_name
  key                    = "${var.scripts_prefix}expectations/${each.key}.json"
  source                 = "${var.glue_jobs_dir}/../expectations/${each.key}.json"
  source_hash            = filemd5("${var.glue_jobs_dir}/../expectations/${each.key}.json")
  content_type           = "application/json"
  server_side_encryption = "aws:kms"
  kms_key_id             = var.kms_key_arn
}

resource "aws_s3_object" "validate_script" {
  bucket                 = var.artifacts_bucket_name
  key                    = "${var.scripts_prefix}validate_job.py"
  source                 = "${var.glue_jobs_dir}/validate_job.py"
  source_hash            = filemd5("${var.glue_jobs_dir}/validate_job.py")
  content_type           = "text/x-python"
  server_side_encryption = "aws:kms"
  kms_key_id             = var.kms_key_arn
}

# --extra-py-files needs the package folder inside the zip (glue_lib/__init__.py ...), so the
# .py files are added one by one under "glue_lib/" instead of zipping the folder's contents.
data "archive_file" "glue_lib" {
  type             = "zip"
  output_path      = "${var.build_dir}/glue_lib.zip"
  output_file_mode = "0644"

  dynamic "source" {
    for_each = sort(fileset(var.glue_lib_dir, "**/*.py"))
    content {
      content  = file("${var.glue_lib_dir}/${source.value}")
      filename = "glue_lib/${source.value}"
    }
  }
}

resource "aws_s3_object" "glue_lib" {
  bucket                 = var.artifacts_bucket_name
  key                    = "${var.scripts_prefix}glue_lib.zip"
  source                 = data.archive_file.glue_lib.output_path
  source_hash            = data.archive_file.glue_lib.output_md5
  content_type           = "application/zip"
  server_side_encryption = "aws:kms"
  kms_key_id             = var.kms_key_arn
}

# ---------------------------------------------------------------------------------------------
# Encryption
# ---------------------------------------------------------------------------------------------

resource "aws_glue_security_configuration" "this" {
  name = "${var.name_prefix}-glue"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
  }
}

# The catalog encryption setting is a single per-account-and-region object: opt in only where
# this stack owns the catalog (other tools/users then need kms:Decrypt on the pipeline key).
resource "aws_glue_data_catalog_encryption_settings" "this" {
  count = var.manage_data_catalog_encryption ? 1 : 0

  data_catalog_encryption_settings {
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.kms_key_arn
    }

    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.kms_key_arn
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------------

resource "aws_glue_catalog_database" "this" {
  name         = var.database_name
  description  = "Processed tables of the ${var.name_prefix} pipeline (crawled from ${local.lake_root}/processed/)"
  location_uri = "${local.lake_root}/processed/"
}

resource "aws_glue_crawler" "dataset" {
  for_each = toset(var.datasets)

  name                   = local.crawler_names[each.key]
  description            = "Crawls processed/ tables of dataset ${each.key}"
  database_name          = aws_glue_catalog_database.this.name
  role                   = aws_iam_role.crawler.arn
  security_configuration = aws_glue_security_configuration.this.name

  dynamic "s3_target" {
    for_each = local.tables_by_dataset[each.key]
    content {
      path = "${local.lake_root}/processed/${s3_target.value}/"
      exclusions = [
        "**/_SUCCESS",
        "**/_temporary/**",
        "**_$folder$",
      ]
    }
  }

  # Schema changes (new/changed columns) are applied to the catalog; vanished tables/partitions
  # are only logged, never dropped, so a bad run cannot delete catalog metadata.
  schema_change_policy {
    update_behavior = "UPDATE_IN_DATABASE"
    delete_behavior = "LOG"
  }

  # CRAWL_NEW_FOLDERS_ONLY would require update/delete behaviour LOG/LOG (no schema updates),
  # so the crawler re-reads everything; Airflow starts it once per run after the job.
  recrawl_policy {
    recrawl_behavior = "CRAWL_EVERYTHING"
  }

  configuration = jsonencode({
    Version = 1.0
    CrawlerOutput = {
      Partitions = { AddOrUpdateBehavior = "InheritFromTable" }
    }
    Grouping = {
      TableGroupingPolicy = "CombineCompatibleSchemas"
    }
  })
}

# ---------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------

resource "aws_glue_job" "clean" {
  for_each = toset(var.datasets)

  name                   = local.job_names[each.key]
  description            = "Clean/conform raw ${each.key} files into processed Parquet"
  role_arn               = aws_iam_role.job.arn
  glue_version           = var.glue_version
  worker_type            = var.worker_type
  number_of_workers      = var.number_of_workers
  timeout                = var.timeout_minutes
  max_retries            = var.max_retries
  security_configuration = aws_glue_security_configuration.this.name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${aws_s3_object.job_script[each.key].bucket}/${aws_s3_object.job_script[each.key].key}"
  }

  default_arguments = merge(local.common_arguments, {
    "--dataset" = each.key
  })

  # One run per dataset at a time: runs of the same dataset write the same partitions.
  execution_property {
    max_concurrent_runs = 1
  }

  depends_on = [aws_s3_object.glue_lib]
}

resource "aws_glue_job" "validate" {
  name                   = local.validate_job_name
  description            = "Great Expectations validation of processed tables; writes Data Docs to data_docs/"
  role_arn               = aws_iam_role.job.arn
  glue_version           = var.glue_version
  worker_type            = var.worker_type
  number_of_workers      = var.number_of_workers
  timeout                = var.timeout_minutes
  max_retries            = var.max_retries
  security_configuration = aws_glue_security_configuration.this.name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${aws_s3_object.validate_script.bucket}/${aws_s3_object.validate_script.key}"
  }

  # Shared by all datasets: Airflow passes --dataset (and the run date) on each run.
  default_arguments = local.common_arguments

  execution_property {
    max_concurrent_runs = var.validate_max_concurrent_runs
  }

  depends_on = [aws_s3_object.glue_lib]
}
