#!/usr/bin/env bash
# Entrypoint of the pipeline image (see Dockerfile): one step, then the official Airflow
# entrypoint (/entrypoint), which waits for the metadata DB where the command needs it and
# runs `airflow <command>` (or bash/python when the command starts with those).
#
# The step: a known UI login. Airflow 3's default auth manager, SimpleAuthManager, takes
# its users from config ([core] simple_auth_manager_users, e.g. "admin:admin") and their
# passwords from a JSON file, where it writes a random password for any user missing from
# it. When AIRFLOW_ADMIN_PASSWORD is set (docker-compose.yaml sets it on the api-server
# only), write it to that file for AIRFLOW_ADMIN_USERNAME first, so the password is the
# one from the environment instead of a random one printed in the log. The file lives in
# the container, is rewritten at every start and is readable by its owner only.
set -euo pipefail

if [[ -n "${AIRFLOW_ADMIN_PASSWORD:-}" ]]; then
  passwords_file="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-${AIRFLOW_HOME:-/opt/airflow}/simple_auth_manager_passwords.json.generated}"
  python - "${passwords_file}" "${AIRFLOW_ADMIN_USERNAME:-admin}" <<'PY'
import json
import os
import sys

path, user = sys.argv[1], sys.argv[2]
os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(descriptor, "w") as out:
    json.dump({user: os.environ["AIRFLOW_ADMIN_PASSWORD"]}, out)
    out.write("\n")
PY
  unset AIRFLOW_ADMIN_PASSWORD
fi

exec /entrypoint "$@"
