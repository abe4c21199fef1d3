terraform {
  # 1.5+: optional() object attributes with defaults, preconditions, check blocks.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 7.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.5, < 3.0" # 2.5: glob patterns in archive_file excludes
    }
  }

  # State backend is deliberately not configured here: pass one at init time, e.g.
  #   terraform init -backend-config=backend.hcl
  # (see README.md). Local state is ignored by .gitignore.
}

provider "aws" {
  region = var.aws_region

  # Every taggable resource gets these; modules add only resource-specific tags.
  default_tags {
    tags = local.default_tags
  }
}
