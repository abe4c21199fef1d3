# ---------------------------------------------------------------------------------------------
# Artifacts: code and deploy-time files, in their own bucket rather than an _artifacts/ prefix
# of the lake, because
#   * the lake's lifecycle rules, event notifications and any future retention/replication
#     choices are about data; scripts must not be caught by them;
#   * every runtime role (Glue job, Airflow) gets read-only access to code, and nothing but the
#     deployer can change what Glue executes, without relying on prefix conditions inside one
#     shared bucket that those roles also write to;
#   * MWAA requires a versioned source bucket and reads bucket-level settings; pointing it at
#     the artifacts bucket keeps its execution role off the lake bucket.
# Layout: glue/scripts/ (job scripts, glue_lib.zip), glue/tmp/ (Glue --TempDir), mwaa/.
# Same protections as the lake bucket.
# ---------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_144:Artifacts are rebuilt from the repository by terraform apply; replicating them to another region adds nothing.
  #checkov:skip=CKV_AWS_143:Object Lock would prevent replacing scripts on deploy and the Glue temp-dir expiry.
  #checkov:skip=CKV2_AWS_62:Only Terraform writes here (scripts, glue_lib.zip, MWAA files) and Glue's temp dir; no consumer reacts to object events.
  bucket        = var.artifacts_bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "artifacts" {
  bucket        = aws_s3_bucket.artifacts.id
  target_bucket = local.log_target_bucket
  target_prefix = "s3/${var.artifacts_bucket_name}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    id     = "housekeeping"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "expire-glue-temp"
    status = "Enabled"

    filter {
      prefix = var.glue_temp_prefix
    }

    expiration {
      days = var.glue_temp_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

data "aws_iam_policy_document" "artifacts" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.artifacts.arn,
      "${aws_s3_bucket.artifacts.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket     = aws_s3_bucket.artifacts.id
  policy     = data.aws_iam_policy_document.artifacts.json
  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}
