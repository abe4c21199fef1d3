variable "workgroup_name" {
  description = "Athena workgroup name."
  type        = string
}

variable "lake_bucket_name" {
  description = "Data-lake bucket; results go to s3://<bucket>/_athena_results/."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed key for query results."
  type        = string
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Per-query scan limit in bytes (cost guard-rail)."
  type        = number
}

variable "force_destroy" {
  description = "Delete the workgroup even if it has named queries / history."
  type        = bool
}
