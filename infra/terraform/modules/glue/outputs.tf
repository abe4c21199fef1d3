output "job_prefix" {
  description = "Prefix of the job names (<prefix>-<dataset>, <prefix>-validate)."
  value       = var.name_prefix
}

output "crawler_prefix" {
  description = "Prefix of the crawler names (<prefix>-<dataset>)."
  value       = var.name_prefix
}

output "job_names" {
  description = "Dataset -> clean job name."
  value       = { for d, j in aws_glue_job.clean : d => j.name }
}

output "job_arns" {
  description = "ARNs of all jobs (clean jobs and the validation job)."
  value       = concat([for j in aws_glue_job.clean : j.arn], [aws_glue_job.validate.arn])
}

output "validate_job_name" {
  description = "Name of the shared validation job."
  value       = aws_glue_job.validate.name
}

output "crawler_names" {
  description = "Dataset -> crawler name."
  value       = { for d, c in aws_glue_crawler.dataset : d => c.name }
}

output "crawler_arns" {
  description = "ARNs of the crawlers."
  value       = [for c in aws_glue_crawler.dataset : c.arn]
}

output "database_name" {
  description = "Glue catalog database."
  value       = aws_glue_catalog_database.this.name
}

output "scripts_uri" {
  description = "S3 URI (no trailing slash) of the job scripts and glue_lib.zip."
  value       = local.scripts_uri
}

output "job_role_arn" {
  description = "Glue job role ARN."
  value       = aws_iam_role.job.arn
}

output "crawler_role_arn" {
  description = "Glue crawler role ARN."
  value       = aws_iam_role.crawler.arn
}

output "security_configuration_name" {
  description = "Glue security configuration."
  value       = aws_glue_security_configuration.this.name
}
