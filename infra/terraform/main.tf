data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  default_tags = merge(
    {
      Project     = var.name_prefix
      Environment = var.environment
      ManagedBy   = "terraform"
    },
    var.tags,
  )

  # Globally unique bucket names without hard-coding an account: prefix + account id + region.
  name_suffix           = "${local.account_id}-${var.aws_region}"
  lake_bucket_name      = coalesce(var.lake_bucket_name, "${var.name_prefix}-lake-${local.name_suffix}")
  artifacts_bucket_name = coalesce(var.artifacts_bucket_name, "${var.name_prefix}-artifacts-${local.name_suffix}")
  log_bucket_name       = coalesce(var.log_bucket_name, "${var.name_prefix}-access-logs-${local.name_suffix}")

  glue_database_name    = coalesce(var.glue_database_name, "${replace(var.name_prefix, "-", "_")}_lake")
  lambda_function_name  = "${var.name_prefix}-trigger"
  mwaa_environment_name = coalesce(var.mwaa_environment_name, var.name_prefix)

  processed_tables     = { for d in var.datasets : d => lookup(var.processed_tables, d, [d]) }
  all_processed_tables = distinct(flatten(values(local.processed_tables)))

  # Repo paths Terraform packages/uploads. This root module is <repo>/infra/terraform, so the
  # repo root is two levels up. tests/infra/test_terraform.py checks these stay consistent.
  lambda_source_dir = "${path.root}/../../lambdas"
  glue_jobs_dir     = "${path.root}/../../glue_jobs"
  glue_lib_dir      = "${path.root}/../../glue_jobs/glue_lib"
  dags_dir          = "${path.root}/../../dags"
  pipeline_dir      = "${path.root}/../../pipeline"
  build_dir         = "${path.root}/.build"

  # Layout of the artifacts bucket.
  glue_scripts_prefix = "glue/scripts/"
  glue_temp_prefix    = "glue/tmp/"
  mwaa_prefix         = "mwaa/"

  # What Airflow needs, one env var per setting (pipeline/config.py reads PIPELINE_<NAME>).
  airflow_env = {
    PIPELINE_TARGET              = "aws"
    PIPELINE_LAKE_ROOT           = "s3://${module.lake.lake_bucket_id}"
    PIPELINE_AWS_REGION          = var.aws_region
    PIPELINE_LAMBDA_FUNCTION     = module.lambda_trigger.function_name
    PIPELINE_GLUE_JOB_PREFIX     = module.glue.job_prefix
    PIPELINE_GLUE_CRAWLER_PREFIX = module.glue.crawler_prefix
    PIPELINE_ATHENA_WORKGROUP    = module.athena.workgroup_name
    PIPELINE_GLUE_DATABASE       = module.glue.database_name
    PIPELINE_GLUE_SCRIPTS_URI    = module.glue.scripts_uri
    PIPELINE_METRICS_NAMESPACE   = var.metrics_namespace
  }
}

module "kms" {
  source = "./modules/kms"

  name_prefix             = var.name_prefix
  account_id              = local.account_id
  aws_region              = var.aws_region
  partition               = local.partition
  deletion_window_in_days = var.kms_deletion_window_days
}

module "lake" {
  source = "./modules/lake"

  name_prefix           = var.name_prefix
  account_id            = local.account_id
  partition             = local.partition
  kms_key_arn           = module.kms.key_arn
  lake_bucket_name      = local.lake_bucket_name
  artifacts_bucket_name = local.artifacts_bucket_name
  log_bucket_name       = local.log_bucket_name
  force_destroy         = var.force_destroy_buckets

  raw_expiration_days                = var.raw_expiration_days
  quarantine_expiration_days         = var.quarantine_expiration_days
  athena_results_expiration_days     = var.athena_results_expiration_days
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  access_log_expiration_days         = var.access_log_expiration_days
  glue_temp_expiration_days          = var.glue_temp_expiration_days
  glue_temp_prefix                   = local.glue_temp_prefix

  events_queue_visibility_timeout_seconds = var.events_queue_visibility_timeout_seconds
  events_queue_max_receive_count          = var.events_queue_max_receive_count
}

module "lambda_trigger" {
  source = "./modules/lambda_trigger"

  function_name        = local.lambda_function_name
  source_dir           = local.lambda_source_dir
  build_dir            = local.build_dir
  handler              = "trigger_lambda.handler.handler"
  runtime              = "python3.11"
  timeout_seconds      = var.lambda_timeout_seconds
  memory_mb            = var.lambda_memory_mb
  reserved_concurrency = var.lambda_reserved_concurrency
  log_retention_days   = var.log_retention_days
  kms_key_arn          = module.kms.key_arn
  lake_bucket_name     = module.lake.lake_bucket_id
  lake_bucket_arn      = module.lake.lake_bucket_arn
  datasets             = var.datasets
  aws_region           = var.aws_region
  account_id           = local.account_id
  partition            = local.partition
}

module "glue" {
  source = "./modules/glue"

  name_prefix      = var.name_prefix
  datasets         = var.datasets
  processed_tables = local.processed_tables
  glue_jobs_dir    = local.glue_jobs_dir
  glue_lib_dir     = local.glue_lib_dir
  build_dir        = local.build_dir

  artifacts_bucket_name = module.lake.artifacts_bucket_id
  artifacts_bucket_arn  = module.lake.artifacts_bucket_arn
  scripts_prefix        = local.glue_scripts_prefix
  temp_prefix           = local.glue_temp_prefix
  lake_bucket_name      = module.lake.lake_bucket_id
  lake_bucket_arn       = module.lake.lake_bucket_arn
  kms_key_arn           = module.kms.key_arn
  database_name         = local.glue_database_name

  glue_version                   = var.glue_version
  worker_type                    = var.glue_worker_type
  number_of_workers              = var.glue_number_of_workers
  timeout_minutes                = var.glue_timeout_minutes
  max_retries                    = var.glue_max_retries
  additional_python_modules      = var.glue_additional_python_modules
  validate_max_concurrent_runs   = var.glue_validate_max_concurrent_runs
  manage_data_catalog_encryption = var.manage_glue_catalog_encryption

  aws_region = var.aws_region
  account_id = local.account_id
  partition  = local.partition
}

module "athena" {
  source = "./modules/athena"

  workgroup_name                 = var.name_prefix
  lake_bucket_name               = module.lake.lake_bucket_id
  kms_key_arn                    = module.kms.key_arn
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff_per_query
  force_destroy                  = var.force_destroy_buckets
}

module "monitoring" {
  source = "./modules/monitoring"

  name_prefix          = var.name_prefix
  account_id           = local.account_id
  kms_key_arn          = module.kms.key_arn
  alert_email          = var.alert_email
  glue_job_names       = concat(values(module.glue.job_names), [module.glue.validate_job_name])
  glue_crawler_names   = values(module.glue.crawler_names)
  lambda_function_name = module.lambda_trigger.function_name

  dead_letter_queue_names = {
    "trigger Lambda" = module.lambda_trigger.dlq_name
    "raw/ events"    = module.lake.events_dlq_name
  }
  events_queue_name            = module.lake.events_queue_name
  events_queue_max_age_seconds = var.events_queue_max_age_seconds

  datasets                         = keys(module.glue.job_names)
  aws_region                       = var.aws_region
  metrics_namespace                = var.metrics_namespace
  rejected_share_threshold_percent = var.rejected_share_threshold_percent
}

module "airflow_iam" {
  source = "./modules/airflow_iam"

  role_name              = "${var.name_prefix}-airflow"
  trusted_principal_arns = var.airflow_trusted_principal_arns
  account_id             = local.account_id
  aws_region             = var.aws_region
  partition              = local.partition
  kms_key_arn            = module.kms.key_arn
  lake_bucket_arn        = module.lake.lake_bucket_arn
  artifacts_bucket_arn   = module.lake.artifacts_bucket_arn
  scripts_prefix         = local.glue_scripts_prefix
  datasets               = var.datasets
  processed_tables       = local.all_processed_tables
  glue_job_arns          = module.glue.job_arns
  glue_crawler_arns      = module.glue.crawler_arns
  glue_database_name     = module.glue.database_name
  lambda_function_arn    = module.lambda_trigger.function_arn
  athena_workgroup_arn   = module.athena.workgroup_arn
  events_queue_arn       = module.lake.events_queue_arn
  metrics_namespace      = var.metrics_namespace
}

module "mwaa" {
  source = "./modules/mwaa"
  count  = var.enable_mwaa ? 1 : 0

  environment_name      = local.mwaa_environment_name
  airflow_version       = var.mwaa_airflow_version
  environment_class     = var.mwaa_environment_class
  min_workers           = var.mwaa_min_workers
  max_workers           = var.mwaa_max_workers
  subnet_ids            = var.mwaa_subnet_ids
  security_group_ids    = var.mwaa_security_group_ids
  webserver_access_mode = var.mwaa_webserver_access_mode
  execution_role_name   = module.airflow_iam.role_name
  execution_role_arn    = module.airflow_iam.role_arn
  source_bucket_name    = module.lake.artifacts_bucket_id
  source_bucket_arn     = module.lake.artifacts_bucket_arn
  source_prefix         = local.mwaa_prefix
  kms_key_arn           = module.kms.key_arn
  airflow_env           = merge(local.airflow_env, local.invoices_db_env)
  upload_dags           = var.mwaa_upload_dags
  dags_dir              = local.dags_dir
  pipeline_dir          = local.pipeline_dir
  log_level             = var.mwaa_log_level
  aws_region            = var.aws_region
  account_id            = local.account_id
  partition             = local.partition
}
