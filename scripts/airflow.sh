#!/usr/bin/env bash
# Start Airflow locally (standalone: api-server with the UI, scheduler, dag-processor,
# triggerer) with this project's DAGs on the local target. Ctrl-C stops everything.
#   scripts/airflow.sh                      start standalone
#   scripts/airflow.sh <airflow args...>    any airflow command in the same environment,
#                                           e.g. backfill create --dag-id orders_pipeline ...
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

export PATH="$PWD/.venv/bin:$PATH"                # standalone starts its components from PATH
# AIRFLOW_HOME (.airflow/), the DAGs folder, no examples, DAGs created unpaused: the settings
# `pipeline run` uses too (pipeline/orchestration/local_airflow.py), so the DAGs start
# unpaused whichever of the two created them in the shared metadata DB
local_airflow="$(python -m pipeline.orchestration.local_airflow)"
eval "$local_airflow"
# a handful of task slots on a laptop, not 32 idle LocalExecutor workers (they also made
# the scheduler slow to stop on Ctrl-C)
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__API__PORT="${AIRFLOW_PORT:-8080}"
export AIRFLOW__API__HOST="${AIRFLOW_HOST:-127.0.0.1}"
# task workers talk to the api-server: keep its URL in step with the port above
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://$AIRFLOW__API__HOST:$AIRFLOW__API__PORT/execution/"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW_USER:-admin}:admin"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$AIRFLOW_HOME/passwords.json"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS=pipeline.orchestration.sqlite_settings.connect_args
export PIPELINE_TARGET=local
export PIPELINE_LAKE_ROOT="${PIPELINE_LAKE_ROOT:-$PWD/lake}"
export PIPELINE_EVENT_DRIVEN="${PIPELINE_EVENT_DRIVEN:-true}"
mkdir -p "$AIRFLOW_HOME" "$PIPELINE_LAKE_ROOT"

if [ "$#" -gt 0 ]; then
  exec airflow "$@"
fi

user="${AIRFLOW_USER:-admin}"
password="${AIRFLOW_PASSWORD:-admin}"
printf '{"%s": "%s"}\n' "$user" "$password" > "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"

url="http://$AIRFLOW__API__HOST:$AIRFLOW__API__PORT"
cat <<MSG
Airflow (standalone) is starting with the DAGs in dags/ on the local target.
  UI:     $url   (ready in ~30 s)
  login:  $user / $password
  lake:   $PIPELINE_LAKE_ROOT   (event-driven runs on landing: $PIPELINE_EVENT_DRIVEN)
  stop:   Ctrl-C
MSG

airflow db migrate >/dev/null
if [ -z "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-}" ]; then
  # SQLite in write-ahead-log mode: readers do not block writers, so a CLI call such as
  # `backfill create` beside the running components is not refused as "database is locked"
  python -c 'import os, sqlite3; sqlite3.connect(os.environ["AIRFLOW_HOME"] + "/airflow.db").execute("PRAGMA journal_mode=WAL")'
fi

# the invoices dataset loads into PostgreSQL: without PIPELINE_INVOICES_DB_URL, a local
# server of the project's own (pipeline/local_postgres.py), up while Airflow is
postgres_holder=""
if [ -z "${PIPELINE_INVOICES_DB_URL:-}" ]; then
  exec {postgres_url}< <(python -m pipeline.local_postgres)
  postgres_holder=$!
  if read -r -t 120 -u "$postgres_url" url_line && [ -n "$url_line" ]; then
    export PIPELINE_INVOICES_DB_URL="$url_line"
    echo "  invoices database: local PostgreSQL ($PIPELINE_INVOICES_DB_URL)"
  else
    echo "warning: no local PostgreSQL (set PIPELINE_INVOICES_DB_URL); invoices runs will fail" >&2
  fi
fi

airflow standalone &
standalone=$!
stop() {
  trap '' INT TERM
  kill -INT "$standalone" 2>/dev/null || true
  for _ in $(seq 60); do
    kill -0 "$standalone" 2>/dev/null || break
    sleep 0.5
  done
  if [ -n "$postgres_holder" ]; then  # stops the server unless another command uses it
    kill -TERM "$postgres_holder" 2>/dev/null || true
    for _ in $(seq 40); do
      kill -0 "$postgres_holder" 2>/dev/null || break
      sleep 0.5
    done
  fi
  # whatever has not stopped after 30 s (a scheduler waiting on its executor's workers)
  for pid in $(pgrep -g $$); do
    if [ "$pid" != $$ ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  wait || true
  exit 0
}
trap stop INT TERM
wait "$standalone"
