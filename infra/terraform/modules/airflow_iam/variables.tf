variable "role_name" {
  description = "Name of the Airflow execution role."
  type        = string
}

variable "trusted_principal_arns" {
  description = "IAM principals (role/user ARNs) a self-managed Airflow runs as, allowed to assume this role. MWAA's service principals are always trusted."
  type        = list(string)
}

variable "account_id" {
  description = "Account id."
  type        = string
}

variable "aws_region" {
  description = "Region."
  type        = string
}

variable "partition" {
  description = "AWS partition."
  type        = string
}

variable "kms_key_arn" {
  description = "Pipeline CMK."
  type        = string
}

variable "lake_bucket_arn" {
  description = "Data-lake bucket ARN."
  type        = string
}

variable "artifacts_bucket_arn" {
  description = "Artifacts bucket ARN."
  type        = string
}

variable "scripts_prefix" {
  description = "Key prefix of the Glue scripts in the artifacts bucket."
  type        = string
}

variable "datasets" {
  description = "Datasets."
  type        = list(string)
}

variable "processed_tables" {
  description = "All processed table names."
  type        = list(string)
}

variable "glue_job_arns" {
  description = "ARNs of the Glue jobs Airflow starts."
  type        = list(string)
}

variable "glue_crawler_arns" {
  description = "ARNs of the Glue crawlers Airflow starts."
  type        = list(string)
}

variable "glue_database_name" {
  description = "Glue catalog database Athena queries."
  type        = string
}

variable "lambda_function_arn" {
  description = "Trigger Lambda ARN."
  type        = string
}

variable "athena_workgroup_arn" {
  description = "Athena workgroup ARN."
  type        = string
}

variable "events_queue_arn" {
  description = "raw/ events queue Airflow's SQS sensor reads."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the run record step publishes pipeline metrics to."
  type        = string
}
