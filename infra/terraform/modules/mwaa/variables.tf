variable "environment_name" {
  description = "MWAA environment name."
  type        = string
}

variable "airflow_version" {
  description = "Airflow version offered by MWAA (the repo targets Airflow 3; pick the newest 3.x MWAA lists)."
  type        = string
}

variable "environment_class" {
  description = "MWAA environment class."
  type        = string
}

variable "min_workers" {
  description = "Minimum Celery workers."
  type        = number
}

variable "max_workers" {
  description = "Maximum Celery workers."
  type        = number
}

variable "subnet_ids" {
  description = "Two private subnets (different AZs) with a route to S3/AWS APIs (NAT or VPC endpoints)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups for the environment (must allow traffic between its own members)."
  type        = list(string)
}

variable "webserver_access_mode" {
  description = "PRIVATE_ONLY (reach the UI through the VPC) or PUBLIC_ONLY."
  type        = string
}

variable "execution_role_name" {
  description = "Name of the Airflow execution role (from modules/airflow_iam); MWAA-specific permissions are added to it."
  type        = string
}

variable "execution_role_arn" {
  description = "ARN of the Airflow execution role."
  type        = string
}

variable "source_bucket_name" {
  description = "Versioned bucket holding DAGs and the startup script (the artifacts bucket)."
  type        = string
}

variable "source_bucket_arn" {
  description = "ARN of the source bucket."
  type        = string
}

variable "source_prefix" {
  description = "Key prefix (ending in /) of the MWAA files in the source bucket."
  type        = string
}

variable "kms_key_arn" {
  description = "Pipeline CMK (environment encryption, logs, uploaded files)."
  type        = string
}

variable "airflow_env" {
  description = "PIPELINE_* environment variables exported to every Airflow component by the startup script."
  type        = map(string)
}

variable "upload_dags" {
  description = "Upload the repo's dags/ and pipeline/ packages into the DAG folder."
  type        = bool
}

variable "dags_dir" {
  description = "Repo folder with the DAG files."
  type        = string
}

variable "pipeline_dir" {
  description = "Repo folder of the pipeline package the DAGs import."
  type        = string
}

variable "log_level" {
  description = "Level of the Airflow logs sent to CloudWatch."
  type        = string
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
