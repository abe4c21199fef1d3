# ---------------------------------------------------------------------------------------------
# Naming / placement
# ---------------------------------------------------------------------------------------------

variable "aws_region" {
  description = "Region for every resource (exported as PIPELINE_AWS_REGION)."
  type        = string
  default     = "eu-west-1"
}

variable "name_prefix" {
  description = "Prefix of all resource names. Glue jobs are <prefix>-<dataset> and <prefix>-validate, crawlers <prefix>-<dataset>, the Lambda <prefix>-trigger, the Athena workgroup <prefix>."
  type        = string
  default     = "glue-pipeline"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,28}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix: 3-30 chars, lowercase letters, digits and '-', starting with a letter."
  }
}

variable "environment" {
  description = "Environment label (tag only), e.g. dev, staging, prod."
  type        = string
  default     = "dev"
}

variable "tags" {
  description = "Extra tags applied to every resource through the provider's default_tags."
  type        = map(string)
  default     = {}
}

variable "lake_bucket_name" {
  description = "Data-lake bucket name. Null: <prefix>-lake-<account id>-<region>."
  type        = string
  default     = null
}

variable "artifacts_bucket_name" {
  description = "Artifacts bucket name (scripts, glue_lib.zip, Glue temp, MWAA files). Null: <prefix>-artifacts-<account id>-<region>."
  type        = string
  default     = null
}

variable "log_bucket_name" {
  description = "S3 access-log bucket name. Null: <prefix>-access-logs-<account id>-<region>."
  type        = string
  default     = null
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete non-empty buckets. Sandboxes only."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------------------------

variable "datasets" {
  description = "Datasets the pipeline runs. Each gets a clean Glue job (glue_jobs/<dataset>_job.py), a crawler and scoped IAM grants. Adding one is a variable change, e.g. [\"orders\", \"salaries\", \"invoices\"]."
  type        = list(string)
  default     = ["orders"]

  validation {
    condition     = length(var.datasets) > 0 && alltrue([for d in var.datasets : can(regex("^[a-z][a-z0-9_]*$", d))])
    error_message = "datasets: at least one; names are lowercase letters, digits and '_' (they become S3 prefixes, job and table names)."
  }

  validation {
    condition     = !contains(var.datasets, "validate") && length(distinct(var.datasets)) == length(var.datasets)
    error_message = "datasets: names must be unique and 'validate' is reserved for the shared validation job."
  }
}

variable "processed_tables" {
  description = "Dataset -> processed table names (folders processed/<table>/ crawled into the catalog). Datasets not listed have one table named like the dataset. orders needs [\"orders\", \"order_totals\"] (order_totals: the unpartitioned aggregate the orders job rewrites each run, which the summaries read), invoices [\"invoices\", \"invoice_lines\"]."
  type        = map(list(string))
  default = {
    orders   = ["orders", "order_totals"]
    invoices = ["invoices", "invoice_lines"]
  }

  validation {
    condition     = alltrue([for t in flatten(values(var.processed_tables)) : can(regex("^[a-z][a-z0-9_]*$", t))])
    error_message = "processed_tables: table names are lowercase letters, digits and '_'."
  }
}

# ---------------------------------------------------------------------------------------------
# Lake retention
# ---------------------------------------------------------------------------------------------

variable "raw_expiration_days" {
  description = "Days raw/ objects are kept (the invoice landing zone requires 1). Noncurrent versions go one day later."
  type        = number
  default     = 1

  validation {
    condition     = var.raw_expiration_days >= 1
    error_message = "raw_expiration_days must be >= 1."
  }
}

variable "quarantine_expiration_days" {
  description = "Days quarantine/ objects (rejected rows and files) are kept."
  type        = number
  default     = 90
}

variable "athena_results_expiration_days" {
  description = "Days Athena query results under _athena_results/ are kept."
  type        = number
  default     = 30
}

variable "noncurrent_version_expiration_days" {
  description = "Days noncurrent object versions are kept (lake and artifacts buckets)."
  type        = number
  default     = 30
}

variable "access_log_expiration_days" {
  description = "Days S3 server access logs are kept."
  type        = number
  default     = 365
}

variable "glue_temp_expiration_days" {
  description = "Days objects in the Glue --TempDir are kept."
  type        = number
  default     = 7
}

# ---------------------------------------------------------------------------------------------
# Glue / Athena
# ---------------------------------------------------------------------------------------------

variable "glue_database_name" {
  description = "Glue catalog database. Null: <prefix with '-' replaced by '_'>_lake (exported as PIPELINE_GLUE_DATABASE)."
  type        = string
  default     = null
}

variable "glue_version" {
  description = "Glue version (5.1 = Spark 3.5 / Python 3.11)."
  type        = string
  default     = "5.1"
}

variable "glue_worker_type" {
  description = "Glue worker type."
  type        = string
  default     = "G.1X"
}

variable "glue_number_of_workers" {
  description = "Workers per Glue job run (2 is the minimum for G.1X)."
  type        = number
  default     = 2
}

variable "glue_timeout_minutes" {
  description = "Glue job run timeout."
  type        = number
  default     = 60
}

variable "glue_max_retries" {
  description = "Glue-level retries (Airflow retries the task, so 0 avoids double retries)."
  type        = number
  default     = 0
}

variable "glue_additional_python_modules" {
  description = "pip requirements installed on Glue workers (--additional-python-modules); keep in step with requirements.txt."
  type        = list(string)
  default     = ["pycountry==24.6.1", "great-expectations==1.24.1"]
}

variable "glue_validate_max_concurrent_runs" {
  description = "Concurrent runs of the shared <prefix>-validate job."
  type        = number
  default     = 3
}

variable "manage_glue_catalog_encryption" {
  description = "Encrypt the account/region Glue Data Catalog with the pipeline key. It is a per-account singleton: enable only if this stack owns the catalog."
  type        = bool
  default     = false
}

variable "athena_bytes_scanned_cutoff_per_query" {
  description = "Athena per-query scan limit in bytes (default 10 GiB)."
  type        = number
  default     = 10737418240
}

# ---------------------------------------------------------------------------------------------
# Lambda / events / monitoring
# ---------------------------------------------------------------------------------------------

variable "lambda_timeout_seconds" {
  description = "Trigger Lambda timeout."
  type        = number
  default     = 300
}

variable "lambda_memory_mb" {
  description = "Trigger Lambda memory."
  type        = number
  default     = 512
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency of the trigger Lambda (the account must keep >= 10 unreserved)."
  type        = number
  default     = 5
}

variable "log_retention_days" {
  description = "CloudWatch log retention for the Lambda log group."
  type        = number
  default     = 365
}

variable "events_queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the raw/ events queue."
  type        = number
  default     = 300
}

variable "events_queue_max_receive_count" {
  description = "Receives before a raw/ event goes to the events dead-letter queue."
  type        = number
  default     = 5
}

variable "events_queue_max_age_seconds" {
  description = "Alarm when the oldest unconsumed raw/ event is older than this."
  type        = number
  default     = 3600
}

variable "alert_email" {
  description = "E-mail subscribed to the alerts topic (confirm the subscription mail). Empty: none."
  type        = string
  default     = ""
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the pipeline KMS key is deleted after destroy."
  type        = number
  default     = 30
}

# ---------------------------------------------------------------------------------------------
# Airflow
# ---------------------------------------------------------------------------------------------

variable "airflow_trusted_principal_arns" {
  description = "IAM role/user ARNs a self-managed Airflow runs as; they may assume the Airflow execution role (set it as role_arn in the aws_default connection)."
  type        = list(string)
  default     = []
}

variable "enable_mwaa" {
  description = "Create an Amazon MWAA environment. False: run Airflow yourself (see README)."
  type        = bool
  default     = false
}

variable "mwaa_environment_name" {
  description = "MWAA environment name. Null: <prefix>."
  type        = string
  default     = null
}

variable "mwaa_airflow_version" {
  description = "MWAA Airflow version (must be one MWAA offers; the DAGs target Airflow 3)."
  type        = string
  default     = "3.0.6"
}

variable "mwaa_environment_class" {
  description = "MWAA environment class."
  type        = string
  default     = "mw1.small"
}

variable "mwaa_min_workers" {
  description = "MWAA minimum workers."
  type        = number
  default     = 1
}

variable "mwaa_max_workers" {
  description = "MWAA maximum workers."
  type        = number
  default     = 3
}

variable "mwaa_subnet_ids" {
  description = "Two private subnet ids (different AZs) for MWAA. Required when enable_mwaa."
  type        = list(string)
  default     = []
}

variable "mwaa_security_group_ids" {
  description = "Security group ids for MWAA (self-referencing ingress). Required when enable_mwaa."
  type        = list(string)
  default     = []
}

variable "mwaa_webserver_access_mode" {
  description = "MWAA UI access: PRIVATE_ONLY or PUBLIC_ONLY."
  type        = string
  default     = "PRIVATE_ONLY"

  validation {
    condition     = contains(["PRIVATE_ONLY", "PUBLIC_ONLY"], var.mwaa_webserver_access_mode)
    error_message = "mwaa_webserver_access_mode must be PRIVATE_ONLY or PUBLIC_ONLY."
  }
}

variable "mwaa_upload_dags" {
  description = "Upload the repo's dags/ and pipeline/ into the MWAA DAG folder on apply."
  type        = bool
  default     = true
}

variable "mwaa_log_level" {
  description = "Level of MWAA logs sent to CloudWatch."
  type        = string
  default     = "INFO"
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the pipeline metrics (PIPELINE_METRICS_NAMESPACE)."
  type        = string
  default     = "GluePipeline"
}

variable "rejected_share_threshold_percent" {
  description = "Alarm when a run rejects more than this percent of the rows it read."
  type        = number
  default     = 5
}
