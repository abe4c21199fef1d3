variable "name_prefix" {
  description = "Resource name prefix."
  type        = string
}

variable "account_id" {
  description = "Account id (topic policy conditions)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed key for the SNS topic."
  type        = string
}

variable "alert_email" {
  description = "E-mail address subscribed to the alerts topic (empty: no subscription)."
  type        = string
}

variable "glue_job_names" {
  description = "Glue jobs whose failures are alerted."
  type        = list(string)
}

variable "glue_crawler_names" {
  description = "Glue crawlers whose failures are alerted."
  type        = list(string)
}

variable "lambda_function_name" {
  description = "Trigger Lambda function name."
  type        = string
}

variable "dead_letter_queue_names" {
  description = "Label -> name of each dead-letter queue to alarm on when not empty."
  type        = map(string)
}

variable "events_queue_name" {
  description = "The raw/ events queue Airflow consumes."
  type        = string
}

variable "events_queue_max_age_seconds" {
  description = "Alarm when the oldest raw/ event has waited longer than this (Airflow not consuming)."
  type        = number
}

variable "datasets" {
  description = "Datasets whose pipeline metrics the dashboard and alarms cover."
  type        = list(string)
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the pipeline metrics (pipeline/steps/metrics.py)."
  type        = string
}

variable "rejected_share_threshold_percent" {
  description = "Alarm when a run rejects more than this percent of the rows it read."
  type        = number
}

variable "aws_region" {
  description = "Region of the pipeline metrics the dashboard shows."
  type        = string
}
