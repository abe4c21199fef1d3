variable "name_prefix" {
  description = "Prefix for the key alias and description."
  type        = string
}

variable "account_id" {
  description = "AWS account id that owns the key."
  type        = string
}

variable "aws_region" {
  description = "Region of the key (used to scope the CloudWatch Logs service principal)."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion completes."
  type        = number
  default     = 30
}
