output "role_arn" {
  description = "Airflow execution role ARN."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Airflow execution role name."
  value       = aws_iam_role.this.name
}
