# syntax=docker/dockerfile:1
#
# The one image behind every Airflow service in docker-compose.yaml (airflow-init,
# airflow-apiserver, airflow-scheduler, airflow-dag-processor, airflow-triggerer): Airflow,
# the pinned project stack from requirements.lock, Java 17 for spark-submit, and the project
# itself installed editable at /opt/pipeline. Compose also bind-mounts the repo over
# /opt/pipeline, so DAG and code edits show without a rebuild; rebuild
# (`docker compose build`) after changing requirements.lock, pyproject.toml or this file.
#
# Base image: the official Airflow image, slim variant, at exactly the Airflow and Python
# versions pinned in requirements.lock (tests/unit/test_docker_compose.py checks they agree).
# - Official image rather than python:3.11-slim: it brings what the compose services lean on:
#   the /entrypoint that waits for the metadata DB and runs `airflow <command>`, dumb-init
#   for signals, the `airflow` user (UID 50000, GID 0, so any AIRFLOW_UID with GID 0 works),
#   curl for the healthchecks, and a virtualenv at /home/airflow/.local that is first on
#   PATH. That last one matters: pipeline/spark_submit.py runs the `spark-submit` that sits
#   beside sys.executable, and here both live in /home/airflow/.local/bin.
# - Slim rather than the full image: the full image pre-installs ~30 providers (google,
#   azure, snowflake, ...) pinned to their own versions of pandas, pyarrow, boto3, ...;
#   installing our lock over them would leave a mix pip cannot vouch for. Slim has Airflow
#   core and little else, and everything this project runs comes from requirements.lock.
#   The base is Debian bookworm, which still ships openjdk-17 (Glue 5.1 runs Java 17).
# Override with e.g. `docker compose build --build-arg AIRFLOW_BASE_IMAGE=...`.
ARG AIRFLOW_BASE_IMAGE=apache/airflow:slim-3.3.2-python3.11
FROM ${AIRFLOW_BASE_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-o", "errexit", "-o", "nounset", "-c"]

# --- as root: Java 17 for Spark, the folders the services share ---------------------------
USER root
# /usr/share/man/man1 must exist for the JRE's post-install step on slim Debian images.
# The JVM's folder name carries the architecture (amd64, arm64); a fixed symlink lets
# JAVA_HOME be the same on Intel and Apple-silicon hosts. Not version-pinned: Debian
# replaces the package on every security update and withdraws the old one.
# hadolint ignore=DL3008
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && ln -sfn "/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)" /usr/lib/jvm/java-17 \
    && apt-get autoremove -yqq --purge \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
ENV JAVA_HOME=/usr/lib/jvm/java-17

# /opt/pipeline: the project (the repo is mounted here by compose as well).
# /data/lake: the lake; a fresh named volume mounted here copies this folder's owner and
# mode, so the Airflow user (any UID, GID 0) can write to it from the first run.
RUN mkdir -p /opt/pipeline /data/lake \
    && chown -R airflow:0 /opt/pipeline /data/lake \
    && chmod -R g+rwX /opt/pipeline /data/lake

COPY docker/entrypoint.sh /usr/local/bin/pipeline-entrypoint
RUN chmod 0755 /usr/local/bin/pipeline-entrypoint

# --- as the airflow user: Python packages into the image's virtualenv ---------------------
USER airflow

# The lock first, alone, so that code edits do not re-run this (slow) layer. It pins
# apache-airflow to the base image's version, so Airflow itself is left as it is.
# apache-airflow-providers-apache-spark must never be installed: 6.x pulls pyspark-client,
# which overwrites pyspark's files and breaks `import pyspark` (the check below fails the
# build if anything brought it in).
COPY --chown=airflow:0 requirements.lock /opt/pipeline/requirements.lock
RUN pip install --no-cache-dir -r /opt/pipeline/requirements.lock \
    && if pip show apache-airflow-providers-apache-spark >/dev/null 2>&1; then \
           echo "apache-airflow-providers-apache-spark breaks pyspark; remove it" >&2; exit 1; \
       fi \
    && python -c "import airflow, pyspark" \
    && test -x "$(dirname "$(python -c 'import sys; print(sys.executable)')")/spark-submit" \
    && java -version

# The project (what .dockerignore lets through), installed editable without dependencies
# (they all came from the lock): the `pipeline` command and the `pipeline` and
# `trigger_lambda` packages resolve to /opt/pipeline, i.e. to the mounted repo under compose.
COPY --chown=airflow:0 . /opt/pipeline
RUN pip install --no-cache-dir --no-deps -e /opt/pipeline \
    && python -c "import pipeline.cli, trigger_lambda"

# Defaults for running the image on its own; docker-compose.yaml sets the same explicitly.
ENV PIPELINE_TARGET=local \
    PIPELINE_LAKE_ROOT=/data/lake \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/pipeline/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=false

# Same shape as the official image's entrypoint (dumb-init, then /entrypoint), with one
# step in front: see docker/entrypoint.sh.
ENTRYPOINT ["/usr/bin/dumb-init", "--", "/usr/local/bin/pipeline-entrypoint"]
CMD []
