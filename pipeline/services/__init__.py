"""Local stores the local target starts on demand (DynamoDB through dynalite).

Local target only: on the aws target RDS and DynamoDB are Terraform's (infra/), and
nothing here is started.
"""
