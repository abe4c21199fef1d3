output "environment_name" {
  description = "MWAA environment name."
  value       = aws_mwaa_environment.this.name
}

output "environment_arn" {
  description = "MWAA environment ARN."
  value       = aws_mwaa_environment.this.arn
}

output "webserver_url" {
  description = "Airflow UI URL."
  value       = aws_mwaa_environment.this.webserver_url
}

output "dags_uri" {
  description = "S3 URI of the DAG folder."
  value       = "s3://${var.source_bucket_name}/${local.dags_prefix}/"
}
