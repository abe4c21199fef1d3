variable "name_prefix" {
  description = "Resource name prefix."
  type        = string
}

variable "account_id" {
  description = "AWS account id (used in policy conditions)."
  type        = string
}

variable "partition" {
  description = "AWS partition."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed key for buckets and queues."
  type        = string
}

variable "lake_bucket_name" {
  description = "Name of the data-lake bucket."
  type        = string
}

variable "artifacts_bucket_name" {
  description = "Name of the artifacts bucket (Glue scripts, glue_lib.zip, Glue temp dir, MWAA files)."
  type        = string
}

variable "log_bucket_name" {
  description = "Name of the S3 server-access-log bucket."
  type        = string
}

variable "raw_expiration_days" {
  description = "Days after which raw/ objects expire (current and noncurrent versions)."
  type        = number
}

variable "quarantine_expiration_days" {
  description = "Days after which quarantine/ objects expire."
  type        = number
}

variable "athena_results_expiration_days" {
  description = "Days after which _athena_results/ objects expire."
  type        = number
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent versions expire (lake and artifacts buckets)."
  type        = number
}

variable "access_log_expiration_days" {
  description = "Days after which S3 server access logs expire."
  type        = number
}

variable "glue_temp_expiration_days" {
  description = "Days after which objects under the Glue temp prefix in the artifacts bucket expire."
  type        = number
}

variable "glue_temp_prefix" {
  description = "Key prefix (ending in /) of the Glue --TempDir inside the artifacts bucket."
  type        = string
}

variable "events_queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the raw/ events queue that Airflow polls."
  type        = number
}

variable "events_queue_max_receive_count" {
  description = "Receives before a raw/ event message is moved to the events dead-letter queue."
  type        = number
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (sandboxes only)."
  type        = bool
}
