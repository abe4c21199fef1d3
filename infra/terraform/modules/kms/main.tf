# One customer-managed key for the pipeline's data at rest: lake/artifacts buckets, SQS queues,
# SNS topic, CloudWatch log groups, Glue security configuration, Athena results, MWAA.
# One key (rather than one per service) keeps the key policy reviewable in one place; the IAM
# roles are what scope who can use it, and each role only gets the kms actions it needs.

locals {
  root_arn = "arn:${var.partition}:iam::${var.account_id}:root"

  # A key policy is a resource policy: "Resource": "*" means "this key" and nothing else.
  # It is written with jsonencode rather than aws_iam_policy_document because checkov's
  # identity-policy checks (CKV_AWS_109/111/356) read every policy document as if it were
  # attached to a principal, which is not the case for a key policy.
  key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # AWS default key-policy statement: lets IAM policies in this account grant use of the
        # key (without it, IAM grants are ignored and the key can become unmanageable).
        Sid       = "EnableIamPoliciesInThisAccount"
        Effect    = "Allow"
        Principal = { AWS = local.root_arn }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # Encrypted log groups (Lambda, Glue continuous logs via the security configuration,
        # MWAA). Limited to log groups of this account and region.
        Sid       = "AllowCloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.aws_region}.amazonaws.com" }
        Action = [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ]
        Resource = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${var.partition}:logs:${var.aws_region}:${var.account_id}:*"
          }
        }
      },
      {
        # S3 event notifications into the KMS-encrypted SNS topic, SNS into the encrypted
        # SQS queue; EventBridge rules and
        # CloudWatch alarms publishing to the KMS-encrypted SNS topic. These services only use
        # the key when delivering into this account's queue/topic, and which bucket, rules and
        # alarms may deliver is restricted by the queue and topic policies (aws:SourceArn /
        # aws:SourceAccount there). No context-key condition here: AWS documents these key
        # statements without one, and a condition the service does not send would make
        # deliveries fail silently.
        Sid    = "AllowAwsServicesToWriteToEncryptedQueuesAndTopics"
        Effect = "Allow"
        Principal = {
          Service = [
            "s3.amazonaws.com",
            "sns.amazonaws.com", # the raw-events topic delivering into the encrypted queue
            "events.amazonaws.com",
            "cloudwatch.amazonaws.com",
          ]
        }
        Action   = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource = "*"
      },
    ]
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: data lake, queues, topics, logs, Glue and Athena"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = jsonencode(local.key_policy)
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}
