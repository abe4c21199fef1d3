# Athena workgroup for the pipeline's queries. Enforced configuration means clients cannot
# override the result location or switch encryption off.

resource "aws_athena_workgroup" "this" {
  name          = var.workgroup_name
  description   = "Queries over the processed/enriched lake tables"
  state         = "ENABLED"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    result_configuration {
      output_location = "s3://${var.lake_bucket_name}/_athena_results/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}
