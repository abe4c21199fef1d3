variable "name_prefix" {
  description = "Prefix of job, crawler, role and security-configuration names. Jobs are <prefix>-<dataset> and <prefix>-validate; crawlers are <prefix>-<dataset>."
  type        = string
}

variable "datasets" {
  description = "Datasets; one clean job and one crawler each."
  type        = list(string)
}

variable "processed_tables" {
  description = "Dataset -> processed table names (folders under processed/). A dataset missing here has one table named like the dataset."
  type        = map(list(string))
}

variable "glue_jobs_dir" {
  description = "Repo folder holding <dataset>_job.py and validate_job.py."
  type        = string
}

variable "glue_lib_dir" {
  description = "Repo folder of the glue_lib helper package (zipped for --extra-py-files)."
  type        = string
}

variable "build_dir" {
  description = "Local folder where glue_lib.zip is written."
  type        = string
}

variable "artifacts_bucket_name" {
  description = "Bucket holding scripts, glue_lib.zip and the Glue temp dir."
  type        = string
}

variable "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket."
  type        = string
}

variable "scripts_prefix" {
  description = "Key prefix (ending in /) for job scripts and glue_lib.zip in the artifacts bucket."
  type        = string
}

variable "temp_prefix" {
  description = "Key prefix (ending in /) for the Glue --TempDir in the artifacts bucket."
  type        = string
}

variable "lake_bucket_name" {
  description = "Data-lake bucket name."
  type        = string
}

variable "lake_bucket_arn" {
  description = "Data-lake bucket ARN."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed key (S3, CloudWatch Logs and bookmark encryption)."
  type        = string
}

variable "database_name" {
  description = "Glue Data Catalog database for processed tables."
  type        = string
}

variable "glue_version" {
  description = "Glue version."
  type        = string
}

variable "worker_type" {
  description = "Glue worker type."
  type        = string
}

variable "number_of_workers" {
  description = "Workers per job run."
  type        = number
}

variable "timeout_minutes" {
  description = "Job run timeout."
  type        = number
}

variable "max_retries" {
  description = "Glue-level retries of a failed run (Airflow retries the task itself)."
  type        = number
}

variable "additional_python_modules" {
  description = "pip requirements installed on the workers (--additional-python-modules)."
  type        = list(string)
}

variable "validate_max_concurrent_runs" {
  description = "Concurrent runs of the shared validation job (one per dataset in flight)."
  type        = number
}

variable "manage_data_catalog_encryption" {
  description = "Set the account/region-wide Glue Data Catalog encryption settings to the pipeline key."
  type        = bool
}

variable "aws_region" {
  description = "Region."
  type        = string
}

variable "account_id" {
  description = "Account id."
  type        = string
}

variable "partition" {
  description = "AWS partition."
  type        = string
}
