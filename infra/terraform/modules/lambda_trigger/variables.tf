variable "function_name" {
  description = "Name of the trigger Lambda function."
  type        = string
}

variable "source_dir" {
  description = "Repo folder zipped as the deployment package (the repo's lambdas/ folder, so the trigger_lambda package sits at the zip root)."
  type        = string
}

variable "build_dir" {
  description = "Local folder where the zip is written."
  type        = string
}

variable "handler" {
  description = "Handler, module path relative to source_dir."
  type        = string
  default     = "trigger_lambda.handler.handler"
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.11"
}

variable "timeout_seconds" {
  description = "Function timeout."
  type        = number
}

variable "memory_mb" {
  description = "Function memory."
  type        = number
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions (caps parallel runs and protects the account pool)."
  type        = number
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group."
  type        = number
}

variable "kms_key_arn" {
  description = "Customer-managed key for logs, DLQ, environment variables and lake objects."
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

variable "datasets" {
  description = "Datasets whose raw/, quarantine/ and _runs/ prefixes the function may touch."
  type        = list(string)
}

variable "aws_region" {
  description = "Region (for the log group ARN)."
  type        = string
}

variable "account_id" {
  description = "Account id (for the log group ARN)."
  type        = string
}

variable "partition" {
  description = "AWS partition."
  type        = string
}
