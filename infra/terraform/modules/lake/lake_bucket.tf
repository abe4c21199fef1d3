# ---------------------------------------------------------------------------------------------
# The data lake. One bucket, one prefix per zone:
#   raw/<dataset>/...                      landing zone (expires after raw_expiration_days)
#   processed/<table>/run_date=YYYY-MM-DD/ clean Parquet, crawled into the Glue catalog
#   quarantine/<dataset>/{rows,files}/...  rejected rows / files (kept quarantine_expiration_days)
#   enriched/<dataset>/<summary>/          summaries
#   _runs/<dataset>/<date>/                run records, manifests, counts (kept)
#   data_docs/                             Great Expectations Data Docs
#   _athena_results/                       Athena query output
# Private, versioned, SSE-KMS (CMK), TLS-only, access-logged; raw/ events go to SQS (events.tf).
# ---------------------------------------------------------------------------------------------

locals {
  # Read the log bucket name through its policy resource so access logging is switched on only
  # once log delivery is allowed (implicit dependency).
  log_target_bucket = aws_s3_bucket_policy.logs.bucket
}

resource "aws_s3_bucket" "lake" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery decision for the account owner, not this pipeline; versioning plus noncurrent-version retention covers accidental overwrites/deletes.
  #checkov:skip=CKV_AWS_143:Object Lock would block the lifecycle expiry the raw/ landing zone requires (default 1 day) and the pipeline's re-writes of processed partitions.
  bucket        = var.lake_bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "lake" {
  bucket = aws_s3_bucket.lake.id

  rule {
    # ACLs disabled: access is decided by IAM and the bucket policy only.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  bucket                  = aws_s3_bucket.lake.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "lake" {
  bucket = aws_s3_bucket.lake.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # S3 Bucket Keys cut KMS request volume (and cost) for Spark's many small writes.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "lake" {
  bucket        = aws_s3_bucket.lake.id
  target_bucket = local.log_target_bucket
  target_prefix = "s3/${var.lake_bucket_name}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

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
    # The invoice landing zone must not keep raw files. With versioning on, expiry only turns
    # the current version noncurrent, so the noncurrent copy is removed a day later as well.
    id     = "expire-raw"
    status = "Enabled"

    filter {
      prefix = "raw/"
    }

    expiration {
      days = var.raw_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "expire-quarantine"
    status = "Enabled"

    filter {
      prefix = "quarantine/"
    }

    expiration {
      days = var.quarantine_expiration_days
    }
  }

  rule {
    id     = "expire-athena-results"
    status = "Enabled"

    filter {
      prefix = "_athena_results/"
    }

    expiration {
      days = var.athena_results_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  # Rules on noncurrent versions need versioning configured first.
  depends_on = [aws_s3_bucket_versioning.lake]
}

data "aws_iam_policy_document" "lake" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.lake.arn,
      "${aws_s3_bucket.lake.arn}/*",
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

resource "aws_s3_bucket_policy" "lake" {
  bucket = aws_s3_bucket.lake.id
  policy = data.aws_iam_policy_document.lake.json

  # Putting a policy while the public access block is being applied can race.
  depends_on = [aws_s3_bucket_public_access_block.lake]
}
