# ---------------------------------------------------------------------------------------------
# The invoices dataset's relational sink: RDS for PostgreSQL (modules/rds), created when
# "invoices" is in var.datasets. The DAG's load_postgres step runs on the Airflow workers,
# reads the master user secret (RDS-managed, in Secrets Manager) and upserts the run's
# records; airflow_env carries where to find the database (PIPELINE_INVOICES_DB_*).
# ---------------------------------------------------------------------------------------------

variable "invoices_db_vpc_id" {
  description = "VPC of the invoices PostgreSQL database (required when datasets contains \"invoices\")."
  type        = string
  default     = ""
}

variable "invoices_db_subnet_ids" {
  description = "Two or more private subnets (different AZs) for the invoices database."
  type        = list(string)
  default     = []
}

variable "invoices_db_client_security_group_ids" {
  description = "Security groups allowed to reach the invoices database besides mwaa_security_group_ids (e.g. a self-managed Airflow's workers)."
  type        = list(string)
  default     = []
}

variable "invoices_db_instance_class" {
  description = "Instance class of the invoices database."
  type        = string
  default     = "db.t4g.micro"
}

variable "invoices_db_engine_version" {
  description = "PostgreSQL version of the invoices database."
  type        = string
  default     = "16"
}

variable "invoices_db_multi_az" {
  description = "Multi-AZ standby for the invoices database."
  type        = bool
  default     = true
}

locals {
  invoices_db_enabled = contains(var.datasets, "invoices")
  invoices_db_env = local.invoices_db_enabled ? tomap({
    PIPELINE_INVOICES_DB_HOST       = module.invoices_db[0].address
    PIPELINE_INVOICES_DB_PORT       = tostring(module.invoices_db[0].port)
    PIPELINE_INVOICES_DB_NAME       = module.invoices_db[0].database_name
    PIPELINE_INVOICES_DB_SECRET_ARN = module.invoices_db[0].master_user_secret_arn
    PIPELINE_INVOICES_DB_SSLMODE    = "require"
  }) : tomap({})
}

module "invoices_db" {
  source = "./modules/rds"
  count  = local.invoices_db_enabled ? 1 : 0

  identifier                = "${var.name_prefix}-invoices"
  vpc_id                    = var.invoices_db_vpc_id
  subnet_ids                = var.invoices_db_subnet_ids
  client_security_group_ids = distinct(concat(var.mwaa_security_group_ids, var.invoices_db_client_security_group_ids))
  client_role_names         = [module.airflow_iam.role_name]
  kms_key_arn               = module.kms.key_arn
  engine_version            = var.invoices_db_engine_version
  instance_class            = var.invoices_db_instance_class
  multi_az                  = var.invoices_db_multi_az
  log_retention_days        = var.log_retention_days
  aws_region                = var.aws_region
  partition                 = local.partition
}

output "invoices_db_endpoint" {
  description = "host:port of the invoices PostgreSQL database (null unless datasets contains \"invoices\")."
  value       = local.invoices_db_enabled ? "${module.invoices_db[0].address}:${module.invoices_db[0].port}" : null
}

output "invoices_db_secret_arn" {
  description = "Secrets Manager secret of the invoices database's master user (null unless enabled)."
  value       = local.invoices_db_enabled ? module.invoices_db[0].master_user_secret_arn : null
}
