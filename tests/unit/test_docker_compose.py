"""docker-compose.yaml and the Dockerfile, checked without a Docker engine.

Docker cannot run here, so the stack is kept correct by construction: the compose file is
parsed (anchors and merge keys resolved, ``${VAR:-default}`` interpolated with the
defaults) and checked for the services, wiring, paths and volumes it needs, and the
Dockerfile is read for its base image, what it installs and what it copies. When the
``docker compose`` plugin is present, ``docker compose config`` validates the file too.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yaml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
LOCK = REPO / "requirements.lock"

REPO_IN_CONTAINER = "/opt/pipeline"
LAKE_IN_CONTAINER = "/data/lake"
SPARK_PROVIDER = "apache-airflow-providers-apache-spark"

# service name -> the `airflow` sub-command it runs (None: the one-shot init)
AIRFLOW_SERVICES = {
    "airflow-init": None,
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}
LONG_RUNNING = [name for name, command in AIRFLOW_SERVICES.items() if command]

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value, env: dict[str, str] | None = None):
    """Compose's variable substitution, with ``env`` (default: nothing set)."""
    env = env or {}
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        current, op, arg = env.get(name), match["op"], match["arg"] or ""
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op and op.endswith("-"):
            return arg if unset else current
        if op and op.endswith("?"):
            raise KeyError(f"${{{name}}} is required: {arg}")
        return current or ""

    return _VARIABLE.sub(substitute, value)


@pytest.fixture(scope="module")
def raw_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def compose(raw_compose) -> dict:
    return interpolate(raw_compose)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return parse_dockerfile(DOCKERFILE.read_text())


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment line inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    assert not pending, "Dockerfile ends inside a continued line"
    return instructions


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def mounts(service: dict) -> list[tuple[str, str, str]]:
    """(kind, source, target) of each volume entry: kind is "bind" or "volume"."""
    found = []
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            found.append((entry["type"], str(entry["source"]), entry["target"]))
            continue
        source, target = entry.split(":")[:2]
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        found.append((kind, source, target))
    return found


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def command_words(service: dict) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else [str(word) for word in command]


def container_path_in_repo(path: str) -> Path | None:
    """The repo file a path under the mounted repo stands for, else None."""
    if path == REPO_IN_CONTAINER or path.startswith(REPO_IN_CONTAINER + "/"):
        return REPO / path[len(REPO_IN_CONTAINER) :].lstrip("/")
    return None


# --- the compose file ------------------------------------------------------------------


def test_compose_spec_file_without_version_key(raw_compose):
    assert "version" not in raw_compose, "the Compose Specification has no `version:` key"
    assert set(raw_compose) <= {"name", "services", "volumes", "networks", "configs", "secrets"} | {
        key for key in raw_compose if key.startswith("x-")
    }


def test_interpolation_helper_follows_compose_rules():
    assert interpolate("${A:-x}") == "x"
    assert interpolate("${A:-x}", {"A": ""}) == "x"
    assert interpolate("${A-x}", {"A": ""}) == ""
    assert interpolate("${A:-x}", {"A": "y"}) == "y"
    assert interpolate("$${HOSTNAME} $A", {"A": "1"}) == "${HOSTNAME} 1"


def test_required_services_exist(services):
    assert {"postgres", *AIRFLOW_SERVICES} <= set(services)


def test_every_airflow_service_builds_the_same_image_from_the_dockerfile(services):
    builds = set()
    for name in AIRFLOW_SERVICES:
        build = services[name].get("build")
        assert build, f"{name} does not build from the Dockerfile"
        if isinstance(build, str):
            build = {"context": build}
        context = (REPO / build.get("context", ".")).resolve()
        assert context == REPO, f"{name}: build context {context} is not the repo"
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
        builds.add((context, dockerfile, str(build.get("args")), services[name].get("image")))
    assert len(builds) == 1, f"Airflow services build different images: {builds}"


def test_airflow_services_run_their_airflow_commands(services):
    for name, command in AIRFLOW_SERVICES.items():
        if command:
            assert command_words(services[name]) == [command], name


def test_init_runs_its_script_from_the_mounted_repo(services):
    words = command_words(services["airflow-init"])
    scripts = [container_path_in_repo(word) for word in words if word.endswith(".sh")]
    assert scripts and all(path and path.is_file() for path in scripts), words
    for script in scripts:
        text = script.read_text()
        assert "airflow db migrate" in text


def test_bind_mount_sources_exist_and_named_volumes_are_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in services.items():
        for kind, source, target in mounts(service):
            if kind == "bind":
                assert (REPO / source).exists(), f"{name}: bind source {source} does not exist"
            else:
                used.add(source)
                assert source in declared, f"{name}: volume {source} is not declared"
            assert target.startswith("/"), f"{name}: {target} is not an absolute path"
    assert used == declared, f"declared but unused volumes: {declared - used}"


def test_repo_and_lake_are_mounted_and_configured(services):
    for name in AIRFLOW_SERVICES:
        service = services[name]
        targets = {target: (kind, source) for kind, source, target in mounts(service)}
        assert targets.get(REPO_IN_CONTAINER) == ("bind", "."), name
        assert targets.get(LAKE_IN_CONTAINER) == ("volume", "lake"), name
        env = environment(service)
        assert env["PIPELINE_TARGET"] == "local", name
        assert env["PIPELINE_LAKE_ROOT"] == LAKE_IN_CONTAINER, name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false", name
        dags = container_path_in_repo(env["AIRFLOW__CORE__DAGS_FOLDER"])
        assert dags and any(dags.glob("*.py")), f"{name}: DAGS_FOLDER has no DAG files"


def test_airflow_services_share_the_settings_that_must_agree(services):
    """One executor, DB, auth manager and JWT secret for all, or tasks cannot authenticate."""
    shared = (
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC",
        "AIRFLOW__CORE__AUTH_MANAGER",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW__CORE__FERNET_KEY",
    )
    values = {
        key: {environment(services[name]).get(key) for name in AIRFLOW_SERVICES} for key in shared
    }
    for key, seen in values.items():
        assert len(seen) == 1 and None not in seen, f"{key} differs between services: {seen}"
    assert values["AIRFLOW__CORE__EXECUTOR"] == {"LocalExecutor"}
    (jwt_secret,) = values["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert len(jwt_secret.encode()) >= 64, "HS512 wants a secret of at least 64 bytes"
    assert "SimpleAuthManager" in next(iter(values["AIRFLOW__CORE__AUTH_MANAGER"]))


def test_execution_api_url_points_at_the_api_server(services):
    url = urlsplit(
        environment(services["airflow-scheduler"])["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
    )
    assert url.hostname == "airflow-apiserver"
    assert url.port == 8080 and url.path.rstrip("/") == "/execution"


def test_metadata_db_url_matches_postgres_service_and_installed_driver(services):
    env = environment(services["airflow-scheduler"])
    postgres = environment(services["postgres"])
    pins = lock_pins()
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"):
        url = urlsplit(env[key])
        assert url.hostname == "postgres" and url.port in (None, 5432), key
        assert url.username == postgres["POSTGRES_USER"], key
        assert url.password == postgres["POSTGRES_PASSWORD"], key
        assert url.path.lstrip("/") == postgres["POSTGRES_DB"], key
        driver = url.scheme.partition("+")[2]
        # Airflow derives postgresql+asyncpg for the async engine unless told otherwise.
        assert driver in pins, f"{key} uses the {driver!r} driver, which the lock does not pin"


def test_api_server_publishes_the_ui_on_8080(services):
    published = []
    for port in services["airflow-apiserver"].get("ports", []):
        if isinstance(port, dict):
            published.append((str(port.get("published")), str(port["target"])))
        else:
            parts = str(port).split(":")
            published.append((parts[-2] if len(parts) > 1 else parts[-1], parts[-1]))
    assert ("8080", "8080") in published, published


def test_only_the_ui_is_published(services):
    exposed = {name for name, service in services.items() if service.get("ports")}
    assert exposed == {"airflow-apiserver"}


def test_postgres_16_with_a_healthcheck_and_a_named_volume(services):
    postgres = services["postgres"]
    assert postgres["image"].split(":")[1].startswith("16")
    assert postgres["healthcheck"]["test"]
    assert [
        kind for kind, _, target in mounts(postgres) if target == "/var/lib/postgresql/data"
    ] == ["volume"]


def test_long_running_services_have_healthchecks(services):
    for name in ["postgres", *LONG_RUNNING]:
        check = services[name].get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name


def test_depends_on_targets_exist_with_sensible_conditions(services):
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {target: {"condition": "service_started"} for target in depends}
        for target, spec in depends.items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert target != name
            condition = spec.get("condition", "service_started")
            if condition == "service_healthy":
                assert services[target].get("healthcheck"), f"{target} has no healthcheck"
            elif condition == "service_completed_successfully":
                assert target == "airflow-init", f"{target} is not a one-shot service"
    for name in AIRFLOW_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
    for name in LONG_RUNNING:
        init = services[name]["depends_on"]["airflow-init"]
        assert init["condition"] == "service_completed_successfully", name


def test_depends_on_has_no_cycles(services):
    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"depends_on cycle: {' -> '.join((*path, name))}"
        for target in services[name].get("depends_on") or {}:
            visit(target, (*path, name))

    for name in services:
        visit(name, ())


def test_init_is_one_shot_and_the_rest_restart(services):
    assert services["airflow-init"].get("restart", "no") == "no"
    for name in ["postgres", *LONG_RUNNING]:
        assert services[name].get("restart") in ("always", "unless-stopped"), name


def test_only_local_default_secrets_overridable_from_the_environment(raw_compose):
    """Every password or secret in the file is a ``${VAR:-default}`` the user can override."""
    secret_names = re.compile(r"PASSWORD|SECRET|FERNET|_KEY$")

    def check(node, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if secret_names.search(str(key)) and not isinstance(value, dict | list):
                    assert re.fullmatch(r"\$\{[A-Z_]+:-[^}]*\}", str(value)), f"{where}.{key}"
                check(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                check(item, f"{where}[{index}]")

    check(raw_compose, "compose")


# --- the Dockerfile and what it copies ---------------------------------------------------


def test_dockerfile_base_image_matches_the_lock(dockerfile):
    args = {}
    for keyword, arguments in dockerfile:
        if keyword == "ARG" and "=" in arguments:
            name, _, default = arguments.partition("=")
            args[name] = default.strip("\"'")
        if keyword == "FROM":
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m[1], m[0]), arguments.split()[0])
            break
    else:
        pytest.fail("no FROM in the Dockerfile")
    repository, _, tag = image.partition(":")
    assert repository == "apache/airflow", image
    airflow = lock_pins()["apache-airflow"]
    assert re.fullmatch(rf"(slim-)?{re.escape(airflow)}-python3\.11", tag), (image, airflow)


def test_dockerfile_installs_java_17_the_lock_and_the_project(dockerfile):
    runs = " ".join(arguments for keyword, arguments in dockerfile if keyword == "RUN")
    env = " ".join(arguments for keyword, arguments in dockerfile if keyword == "ENV")
    assert "openjdk-17-jre-headless" in runs
    assert "JAVA_HOME=" in env
    assert re.search(r"pip install [^&]*-r \S*requirements\.lock", runs)
    assert re.search(r"pip install [^&]*--no-deps -e /opt/pipeline", runs)


def test_every_copy_source_exists(dockerfile):
    copies = [arguments for keyword, arguments in dockerfile if keyword in ("COPY", "ADD")]
    assert copies
    for arguments in copies:
        words = [word for word in arguments.split() if not word.startswith("--")]
        assert "--from" not in arguments, "multi-stage copies are not expected"
        for source in words[:-1]:
            assert (REPO / source).exists(), f"COPY source {source} does not exist"


def test_entrypoint_and_init_scripts_are_valid_bash():
    bash = shutil.which("bash")
    scripts = sorted((REPO / "docker").glob("*.sh"))
    assert scripts
    for script in scripts:
        assert script.read_text().startswith("#!/usr/bin/env bash\n"), script
        if bash:
            subprocess.run([bash, "-n", str(script)], check=True)


def test_dockerignore_keeps_host_state_out_and_the_project_in():
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {".git", ".venv"} <= set(patterns)
    needed = [
        "pyproject.toml",
        "requirements.lock",
        "dags",
        "pipeline",
        "glue_jobs",
        "glue_jobs/local-spark-conf/log4j2.properties",
        "lambdas",
        "sql",
        "expectations",
        "docker/entrypoint.sh",
        "docker/airflow-init.sh",
    ]
    for path in needed:
        assert (REPO / path).exists(), path
        for pattern in patterns:
            bare = pattern.removeprefix("**/")
            excluded = fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(Path(path).name, bare)
            assert not excluded, f".dockerignore pattern {pattern!r} leaves out {path}"


def test_nothing_installs_the_apache_spark_provider(dockerfile, raw_compose):
    """It pulls pyspark-client, which overwrites pyspark and breaks ``import pyspark``."""
    assert SPARK_PROVIDER not in lock_pins()
    for keyword, arguments in dockerfile:
        if keyword == "RUN":
            for install in re.findall(r"(?:pip|uv pip) install ([^&|;]*)", arguments):
                assert SPARK_PROVIDER not in install
    text = yaml.safe_dump(raw_compose)
    assert SPARK_PROVIDER not in text
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in text


# --- docker compose itself, where it is installed ----------------------------------------


def _compose_plugin() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


@pytest.mark.skipif(not _compose_plugin(), reason="the docker compose plugin is not installed")
def test_docker_compose_config_accepts_the_file():
    """``docker compose config`` validates offline; it needs no engine."""
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_invoices_database_is_provisioned_beside_the_metadata_db(services):
    """The invoices dataset loads into database ``pipeline`` on the compose postgres
    service: its init script creates it, every Airflow service gets its URL."""
    init = [m for m in mounts(services["postgres"]) if m[2].startswith("/docker-entrypoint-initdb")]
    [(_kind, source, _target)] = init
    sql = (REPO / source.removeprefix("./")).read_text()
    assert "CREATE DATABASE pipeline;" in sql
    for name, service in services.items():
        if name.startswith("airflow"):
            url = environment(service)["PIPELINE_INVOICES_DB_URL"]
            assert url.startswith("postgresql://airflow:") and url.endswith(
                "@postgres:5432/pipeline"
            )
