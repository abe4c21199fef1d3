# Pipeline metrics published by each run's record step (pipeline/steps/metrics.py, namespace
# var.metrics_namespace, dimension Dataset): a dashboard per dataset, and alarms on the
# rejected share of a run and on a missing daily run, both to the alerts topic.

locals {
  dataset_widgets = flatten([
    for i, dataset in var.datasets : [
      {
        type   = "metric"
        x      = 0
        y      = i * 6
        width  = 8
        height = 6
        properties = {
          title  = "${dataset}: rows per outcome"
          region = var.aws_region
          stat   = "Sum"
          period = 86400
          view   = "timeSeries"
          metrics = [
            for name in ["RowsRead", "RowsValid", "RowsRejected", "RowsDuplicate"] :
            [var.metrics_namespace, name, "Dataset", dataset]
          ]
        }
      },
      {
        type   = "metric"
        x      = 8
        y      = i * 6
        width  = 8
        height = 6
        properties = {
          title       = "${dataset}: rejected share (%)"
          region      = var.aws_region
          stat        = "Maximum"
          period      = 86400
          view        = "timeSeries"
          metrics     = [[var.metrics_namespace, "RejectedShare", "Dataset", dataset]]
          annotations = { horizontal = [{ label = "alarm", value = var.rejected_share_threshold_percent }] }
        }
      },
      {
        type   = "metric"
        x      = 16
        y      = i * 6
        width  = 8
        height = 6
        properties = {
          title  = "${dataset}: runs and files"
          region = var.aws_region
          stat   = "Sum"
          period = 86400
          view   = "timeSeries"
          metrics = [
            for name in ["RunSucceeded", "RunFailed", "RunSkipped", "Files"] :
            [var.metrics_namespace, name, "Dataset", dataset]
          ]
        }
      },
      {
        type   = "metric"
        x      = 0
        y      = length(var.datasets) * 6 + i * 6
        width  = 24
        height = 6
        properties = {
          title  = "${dataset}: seconds per step"
          region = var.aws_region
          stat   = "Maximum"
          period = 86400
          view   = "timeSeries"
          metrics = [
            [{ expression = "SEARCH('{${var.metrics_namespace},Dataset,Step} MetricName=\"StepSeconds\" Dataset=\"${dataset}\"', 'Maximum', 86400)", id = "steps", label = "" }]
          ]
        }
      },
    ]
  ])
}


resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = "${var.name_prefix}-pipeline"
  dashboard_body = jsonencode({ widgets = local.dataset_widgets })
}

resource "aws_cloudwatch_metric_alarm" "rejected_share" {
  for_each = toset(var.datasets)

  alarm_name          = "${var.name_prefix}-${each.key}-rejected-share"
  alarm_description   = "A ${each.key} run rejected more than ${var.rejected_share_threshold_percent}% of the rows it read (see its run record)."
  namespace           = var.metrics_namespace
  metric_name         = "RejectedShare"
  dimensions          = { Dataset = each.key }
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.rejected_share_threshold_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "missing_daily_run" {
  for_each = toset(var.datasets)

  alarm_name          = "${var.name_prefix}-${each.key}-missing-daily-run"
  alarm_description   = "No successful or skipped ${each.key} run in the last day (a run that failed, or none at all)."
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  evaluation_periods  = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]

  # a skipped run (no files that day) is a run that happened: only failed or absent runs alarm
  metric_query {
    id          = "finished"
    expression  = "FILL(succeeded, 0) + FILL(skipped, 0)"
    label       = "finished runs"
    return_data = true
  }

  metric_query {
    id = "succeeded"
    metric {
      namespace   = var.metrics_namespace
      metric_name = "RunSucceeded"
      dimensions  = { Dataset = each.key }
      stat        = "Sum"
      period      = 86400
    }
  }

  metric_query {
    id = "skipped"
    metric {
      namespace   = var.metrics_namespace
      metric_name = "RunSkipped"
      dimensions  = { Dataset = each.key }
      stat        = "Sum"
      period      = 86400
    }
  }
}
