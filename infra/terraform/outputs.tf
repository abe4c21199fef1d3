# Names the Airflow side reads. `terraform output -json airflow_env` gives the whole set; e.g.
#   terraform output -json airflow_env | jq -r 'to_entries[] | "export \(.key)=\(.value)"'

output "airflow_env" {
  description = "PIPELINE_* environment variables for Airflow (one per setting of pipeline/config.py; PIPELINE_INVOICES_DB_* when invoices is deployed)."
  value       = merge(local.airflow_env, local.invoices_db_env)
}

output "lake_root" {
  description = "PIPELINE_LAKE_ROOT: s3://<lake bucket>."
  value       = local.airflow_env.PIPELINE_LAKE_ROOT
}

output "lake_bucket" {
  description = "Data-lake bucket name."
  value       = module.lake.lake_bucket_id
}

output "artifacts_bucket" {
  description = "Artifacts bucket name."
  value       = module.lake.artifacts_bucket_id
}

output "access_log_bucket" {
  description = "S3 server access log bucket name."
  value       = module.lake.log_bucket_id
}

output "aws_region" {
  description = "PIPELINE_AWS_REGION."
  value       = var.aws_region
}

output "lambda_function_name" {
  description = "PIPELINE_LAMBDA_FUNCTION: the trigger Lambda."
  value       = module.lambda_trigger.function_name
}

output "lambda_dead_letter_queue_arn" {
  description = "Dead-letter queue of the trigger Lambda."
  value       = module.lambda_trigger.dlq_arn
}

output "glue_job_prefix" {
  description = "PIPELINE_GLUE_JOB_PREFIX: jobs are <prefix>-<dataset> and <prefix>-validate."
  value       = module.glue.job_prefix
}

output "glue_job_names" {
  description = "Dataset -> clean Glue job name."
  value       = module.glue.job_names
}

output "glue_validate_job_name" {
  description = "Shared validation Glue job name."
  value       = module.glue.validate_job_name
}

output "glue_crawler_prefix" {
  description = "PIPELINE_GLUE_CRAWLER_PREFIX: crawlers are <prefix>-<dataset>."
  value       = module.glue.crawler_prefix
}

output "glue_crawler_names" {
  description = "Dataset -> Glue crawler name."
  value       = module.glue.crawler_names
}

output "glue_database" {
  description = "PIPELINE_GLUE_DATABASE."
  value       = module.glue.database_name
}

output "glue_scripts_uri" {
  description = "PIPELINE_GLUE_SCRIPTS_URI: <uri>/<dataset>_job.py, <uri>/validate_job.py, <uri>/glue_lib.zip."
  value       = module.glue.scripts_uri
}

output "athena_workgroup" {
  description = "PIPELINE_ATHENA_WORKGROUP."
  value       = module.athena.workgroup_name
}

output "events_queue_url" {
  description = "SQS queue receiving raw/ object-created events (watch it with Airflow's SQS sensor/trigger for event-driven runs)."
  value       = module.lake.events_queue_url
}

output "events_queue_arn" {
  description = "ARN of the raw/ events queue."
  value       = module.lake.events_queue_arn
}

output "alerts_topic_arn" {
  description = "SNS topic receiving Glue failure events and CloudWatch alarms."
  value       = module.monitoring.topic_arn
}

output "airflow_role_arn" {
  description = "Airflow execution role (MWAA execution role, or role_arn of a self-managed Airflow's aws_default connection)."
  value       = module.airflow_iam.role_arn
}

output "kms_key_arn" {
  description = "Pipeline customer-managed KMS key."
  value       = module.kms.key_arn
}

output "mwaa_webserver_url" {
  description = "MWAA Airflow UI URL (null when enable_mwaa = false)."
  value       = var.enable_mwaa ? module.mwaa[0].webserver_url : null
}

output "mwaa_dags_uri" {
  description = "S3 URI of the MWAA DAG folder (null when enable_mwaa = false)."
  value       = var.enable_mwaa ? module.mwaa[0].dags_uri : null
}

output "raw_events_topic_arn" {
  description = "SNS topic of raw/ object-created events: the events queue is one subscriber, others can attach."
  value       = module.lake.raw_events_topic_arn
}
