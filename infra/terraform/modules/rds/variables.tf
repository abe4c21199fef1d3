variable "identifier" {
  description = "DB instance identifier (also names its subnet group, parameter group, security group and monitoring role)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string

  validation {
    condition     = var.vpc_id != ""
    error_message = "vpc_id is required for the database."
  }
}

variable "subnet_ids" {
  description = "Private subnet ids (at least two, in different AZs) for the DB subnet group."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids: at least two private subnets in different AZs."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on the PostgreSQL port (the Airflow workers: MWAA's security group)."
  type        = list(string)
  default     = []
}

variable "client_role_names" {
  description = "IAM roles that may read the master user secret (the Airflow execution role)."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "CMK for storage, Performance Insights, the master user secret and the log groups."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL engine version (major or major.minor; minor upgrades are automatic)."
  type        = string
  default     = "16"
}

variable "instance_class" {
  description = "DB instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "database_name" {
  description = "Database created on the instance."
  type        = string
  default     = "pipeline"
}

variable "master_username" {
  description = "Master user name (its password is generated and rotated by RDS in Secrets Manager)."
  type        = string
  default     = "pipeline_admin"
}

variable "port" {
  description = "PostgreSQL port."
  type        = number
  default     = 5432
}

variable "allocated_storage_gb" {
  description = "Initial storage (GiB)."
  type        = number
  default     = 20
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling (GiB)."
  type        = number
  default     = 100
}

variable "multi_az" {
  description = "Standby in a second AZ."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days automated backups are kept."
  type        = number
  default     = 7
}

variable "log_min_duration_ms" {
  description = "Statements slower than this are logged (ms)."
  type        = number
  default     = 1000
}

variable "log_retention_days" {
  description = "Retention of the exported PostgreSQL log groups."
  type        = number
  default     = 365
}

variable "aws_region" {
  description = "Region (scopes the kms:ViaService condition)."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
}
