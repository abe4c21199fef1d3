#!/usr/bin/env bash
# Create or refresh the project's virtualenv (.venv) from the pinned lock file, then build
# the JVM class archive that speeds up every local Spark start (pipeline/spark_class_archive.py).
# Idempotent: does nothing when .venv already matches requirements.lock + pyproject.toml
# and the archive exists.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
VENV=.venv
STAMP="$VENV/.bootstrap-stamp"

pick_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$candidate"; return 0
    fi
  done
  echo "error: Python 3.11 is required (AWS Glue 5.1 runs Python 3.11); install python3.11" >&2
  return 1
}

ensure_java() {
  if command -v java >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Java 17 for Spark (apt-get openjdk-17-jre-headless)"
    apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else
    echo "error: Java 17 is required by Spark; install openjdk-17-jre-headless" >&2
    return 1
  fi
}

ensure_apt_package() {  # command, package: install from Debian's packages when missing
  if command -v "$1" >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing $2 (apt-get)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "warning: $1 not found; install the '$2' package (needed by some tests)" >&2
  fi
}

ensure_java
ensure_apt_package chromium chromium          # the dashboard's browser test
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
  ensure_apt_package initdb postgresql         # the invoices tests start a real server
ensure_venv() {
  # The stamp covers the lock files and how they are installed: "bytecode" marks the
  # --compile-bytecode install below, so a venv set up without it is set up again once.
  want="$( (echo bytecode; cat requirements.lock pyproject.toml requirements-tools.lock 2>/dev/null) | sha256sum | cut -d' ' -f1)"
  if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    return 0
  fi

  PYTHON="$(pick_python)"
  echo "setting up $VENV (pinned versions from requirements.lock) ..."
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q "uv==$UV_VERSION"
  # Bytecode compiled once here: uv does not by default, and where PYTHONDONTWRITEBYTECODE is
  # set every process (Spark's Python workers, Airflow's tasks) compiled its imports from
  # source each time: 0.3 s instead of 0.6-0.8 s to import a Glue job's modules.
  "$VENV/bin/uv" pip install -q --compile-bytecode --python "$VENV/bin/python" -r requirements.lock
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" --no-deps -e .
  if [ -f requirements-tools.lock ]; then
    # Tools whose pins clash with the runtime stack (checkov) live in their own venv.
    [ -x .venv-tools/bin/python ] || "$PYTHON" -m venv .venv-tools
    "$VENV/bin/uv" pip install -q --python .venv-tools/bin/python -r requirements-tools.lock
  fi
  echo "$want" > "$STAMP"
  echo "$VENV ready."
}

ensure_node_tools() {
  # dynalite and the dashboard's chart library (package.json, pinned in package-lock.json)
  ensure_apt_package npm npm
  if ! command -v npm >/dev/null 2>&1; then return 0; fi
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ -f node_modules/.bootstrap-stamp ] && [ "$(cat node_modules/.bootstrap-stamp)" = "$want" ]; then
    return 0
  fi
  echo "installing the Node.js tools (npm ci: pinned in package-lock.json) ..."
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" > node_modules/.bootstrap-stamp
}

ensure_venv
ensure_node_tools
# Once per machine (~40 s); a failure only costs speed, so it warns and goes on.
PIPELINE_SKIP_AIRFLOW_VARIABLES=1 "$VENV/bin/python" -m pipeline.spark_class_archive
