#!/usr/bin/env bash
# One-shot set-up, run by the airflow-init service (as root) before any other Airflow
# service starts; they wait for it to exit 0 (depends_on: service_completed_successfully).
# Safe to run again: every step is idempotent.
set -euo pipefail
# Runs as root with the repo mounted: write no root-owned __pycache__ into the host's repo.
export PYTHONDONTWRITEBYTECODE=1

uid="${AIRFLOW_UID:-50000}"
say() { printf 'airflow-init: %s\n' "$*"; }

say "Airflow $(airflow version), $(python --version 2>&1), JAVA_HOME=${JAVA_HOME:-unset}"

# 1. The image works: Java and the spark-submit beside this Python (the one the local
#    Glue step runs), and the project importable (from the mounted repo).
java -version 2>&1 | sed -n 1p
spark_submit="$(dirname "$(python -c 'import sys; print(sys.executable)')")/spark-submit"
[[ -x "${spark_submit}" ]] || { say "missing ${spark_submit}"; exit 1; }
python -c "import pipeline.cli, pyspark" || { say "cannot import the project"; exit 1; }

# 2. The metadata DB: create or upgrade the schema (fails loudly, unlike the official
#    entrypoint's _AIRFLOW_DB_MIGRATE, which ignores errors).
airflow db migrate

# 3. Shared volumes writable by the user the other services run as (AIRFLOW_UID, GID 0).
#    A fresh volume already is (it copies the image's folder); this fixes volumes made
#    under another AIRFLOW_UID, touching only what is not already right.
for dir in "${PIPELINE_LAKE_ROOT:-/data/lake}" "${AIRFLOW_HOME:-/opt/airflow}/logs"; do
  mkdir -p "${dir}"
  find "${dir}" \( ! -user "${uid}" -o ! -group 0 \) -exec chown "${uid}:0" {} +
  chmod g+rwX "${dir}"
done

# 4. The UI login. SimpleAuthManager keeps users in config, not in the DB, so there is no
#    user to create here: the api-server's entrypoint writes the password it is given
#    (docker/entrypoint.sh).
say "ready. UI: http://localhost:${AIRFLOW_UI_PORT:-8080}  login: ${AIRFLOW_ADMIN_USERNAME:-admin}"
