output "topic_arn" {
  description = "Alerts SNS topic ARN."
  value       = aws_sns_topic.alerts.arn
}

output "alarm_names" {
  description = "Names of all CloudWatch alarms."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.glue_failed_tasks : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.dlq_depth : a.alarm_name],
    [
      aws_cloudwatch_metric_alarm.lambda_errors.alarm_name,
      aws_cloudwatch_metric_alarm.lambda_throttles.alarm_name,
      aws_cloudwatch_metric_alarm.events_queue_age.alarm_name,
    ],
  )
}

output "event_rule_names" {
  description = "EventBridge rules forwarding Glue failures to the topic."
  value = [
    aws_cloudwatch_event_rule.glue_job_failed.name,
    aws_cloudwatch_event_rule.glue_crawler_failed.name,
  ]
}
