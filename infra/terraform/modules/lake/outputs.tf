output "lake_bucket_id" {
  description = "Data-lake bucket name."
  value       = aws_s3_bucket.lake.id
}

output "lake_bucket_arn" {
  description = "Data-lake bucket ARN."
  value       = aws_s3_bucket.lake.arn
}

output "artifacts_bucket_id" {
  description = "Artifacts bucket name."
  value       = aws_s3_bucket.artifacts.id
}

output "artifacts_bucket_arn" {
  description = "Artifacts bucket ARN."
  value       = aws_s3_bucket.artifacts.arn
}

output "log_bucket_id" {
  description = "Access-log bucket name."
  value       = aws_s3_bucket.logs.id
}

output "events_queue_url" {
  description = "URL of the raw/ object-created queue."
  value       = aws_sqs_queue.events.id
}

output "events_queue_arn" {
  description = "ARN of the raw/ object-created queue."
  value       = aws_sqs_queue.events.arn
}

output "events_queue_name" {
  description = "Name of the raw/ object-created queue."
  value       = aws_sqs_queue.events.name
}

output "events_dlq_arn" {
  description = "ARN of the raw/ events dead-letter queue."
  value       = aws_sqs_queue.events_dlq.arn
}

output "events_dlq_name" {
  description = "Name of the raw/ events dead-letter queue."
  value       = aws_sqs_queue.events_dlq.name
}

output "raw_events_topic_arn" {
  description = "ARN of the SNS topic S3 publishes raw/ object-created events to (subscribe more consumers here)."
  value       = aws_sns_topic.raw_events.arn
}
