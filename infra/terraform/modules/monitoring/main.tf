# Alerting: one KMS-encrypted SNS topic fed by
#   * EventBridge rules: Glue job runs ending FAILED/TIMEOUT/ERROR, crawler runs Failed;
#   * CloudWatch alarms: Glue failed Spark tasks, Lambda errors/throttles, dead-letter queue
#     depth, and the age of the oldest unconsumed raw/ event.

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-alerts"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alert_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "AllowPipelineEventRules"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values = [
        aws_cloudwatch_event_rule.glue_job_failed.arn,
        aws_cloudwatch_event_rule.glue_crawler_failed.arn,
      ]
    }
  }

  statement {
    sid       = "AllowCloudWatchAlarmsOfThisAccount"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

# ---------------------------------------------------------------------------------------------
# EventBridge: job / crawler state changes
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "glue_job_failed" {
  name        = "${var.name_prefix}-glue-job-failed"
  description = "A ${var.name_prefix} Glue job run ended FAILED, TIMEOUT or ERROR"

  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      jobName = var.glue_job_names
      state   = ["FAILED", "TIMEOUT", "ERROR"]
    }
  })
}

resource "aws_cloudwatch_event_target" "glue_job_failed" {
  rule = aws_cloudwatch_event_rule.glue_job_failed.name
  arn  = aws_sns_topic.alerts.arn

  input_transformer {
    input_paths = {
      job     = "$.detail.jobName"
      run     = "$.detail.jobRunId"
      state   = "$.detail.state"
      message = "$.detail.message"
    }
    input_template = "\"Glue job <job> run <run> ended <state>: <message>\""
  }
}

resource "aws_cloudwatch_event_rule" "glue_crawler_failed" {
  name        = "${var.name_prefix}-glue-crawler-failed"
  description = "A ${var.name_prefix} Glue crawler run failed"

  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Crawler State Change"]
    detail = {
      crawlerName = var.glue_crawler_names
      state       = ["Failed"]
    }
  })
}

resource "aws_cloudwatch_event_target" "glue_crawler_failed" {
  rule = aws_cloudwatch_event_rule.glue_crawler_failed.name
  arn  = aws_sns_topic.alerts.arn

  input_transformer {
    input_paths = {
      crawler = "$.detail.crawlerName"
      message = "$.detail.errorMessage"
    }
    input_template = "\"Glue crawler <crawler> failed: <message>\""
  }
}

# ---------------------------------------------------------------------------------------------
# CloudWatch alarms
# ---------------------------------------------------------------------------------------------

# Failed Spark tasks (needs --enable-metrics): an early signal even when retries save the run.
resource "aws_cloudwatch_metric_alarm" "glue_failed_tasks" {
  for_each = toset(var.glue_job_names)

  alarm_name          = "${each.key}-failed-tasks"
  alarm_description   = "Glue job ${each.key} had failed Spark tasks"
  namespace           = "Glue"
  metric_name         = "glue.driver.aggregate.numFailedTasks"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  dimensions = {
    JobName  = each.key
    JobRunId = "ALL"
    Type     = "count"
  }
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  alarm_name          = "${var.lambda_function_name}-errors"
  alarm_description   = "Trigger Lambda ${var.lambda_function_name} returned errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  dimensions = {
    FunctionName = var.lambda_function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  alarm_name          = "${var.lambda_function_name}-throttles"
  alarm_description   = "Trigger Lambda ${var.lambda_function_name} hit its reserved concurrency"
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  dimensions = {
    FunctionName = var.lambda_function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each = var.dead_letter_queue_names

  alarm_name          = "${each.value}-not-empty"
  alarm_description   = "Messages are waiting in the ${each.key} dead-letter queue ${each.value}"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  dimensions = {
    QueueName = each.value
  }
}

resource "aws_cloudwatch_metric_alarm" "events_queue_age" {
  alarm_name          = "${var.events_queue_name}-stale"
  alarm_description   = "raw/ events are not being consumed (is the Airflow SQS sensor running?)"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.events_queue_max_age_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  dimensions = {
    QueueName = var.events_queue_name
  }
}
