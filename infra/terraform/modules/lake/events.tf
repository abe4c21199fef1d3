# Event-driven runs: S3 "object created" under raw/ -> SNS topic (fan-out: any other
# subscriber can attach) -> the SQS queue that Airflow's SQS trigger watches, with raw
# message delivery so the queue holds the S3 event JSON itself. Poison messages go to a
# dead-letter queue (alarmed in modules/monitoring).
# Note: S3 publishes one "s3:TestEvent" message when the notification is created;
# consumers must ignore messages without "Records".
# At 1 TB/day: one S3 event, one SNS publish and one SQS message per object (files, not
# bytes), far below SNS/SQS limits; the Airflow trigger drains up to 100 messages a poll.

resource "aws_sns_topic" "raw_events" {
  name              = "${var.name_prefix}-raw-events"
  kms_master_key_id = var.kms_key_arn
}

data "aws_iam_policy_document" "raw_events_topic" {
  statement {
    sid       = "AllowLakeBucketRawNotifications"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.raw_events.arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.lake.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "raw_events" {
  arn    = aws_sns_topic.raw_events.arn
  policy = data.aws_iam_policy_document.raw_events_topic.json
}

resource "aws_sns_topic_subscription" "raw_events_queue" {
  topic_arn            = aws_sns_topic.raw_events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.events.arn
  raw_message_delivery = true # the queue gets the S3 event JSON, not an SNS envelope
}

resource "aws_sqs_queue" "events_dlq" {
  name                              = "${var.name_prefix}-raw-events-dlq"
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600 # 14 days, the SQS maximum
}

resource "aws_sqs_queue" "events" {
  name                              = "${var.name_prefix}-raw-events"
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  visibility_timeout_seconds        = var.events_queue_visibility_timeout_seconds
  message_retention_seconds         = 345600 # 4 days
  receive_wait_time_seconds         = 20     # long polling

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.events_dlq.arn
    maxReceiveCount     = var.events_queue_max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "events_dlq" {
  queue_url = aws_sqs_queue.events_dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.events.arn]
  })
}

data "aws_iam_policy_document" "events_queue" {
  statement {
    sid       = "AllowRawEventsTopic"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events.arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.raw_events.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy    = data.aws_iam_policy_document.events_queue.json
}

resource "aws_s3_bucket_notification" "raw_created" {
  bucket = aws_s3_bucket.lake.id

  topic {
    id            = "raw-object-created"
    topic_arn     = aws_sns_topic.raw_events.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "raw/"
  }

  # S3 validates the destination when the notification is saved: the topic policy must exist.
  depends_on = [aws_sns_topic_policy.raw_events]
}
