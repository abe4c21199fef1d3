"""Static checks of the Terraform in infra/terraform (no AWS account, no provider downloads).

* ``terraform fmt`` is clean;
* checkov reports no failed check, and every skip is justified inline;
* the repo paths Terraform packages/uploads (the trigger Lambda folder, the Glue job scripts of
  the default datasets, the glue_lib package) are the ones the code base uses.

checkov cannot share the project venv (it pins an older boto3), so it is looked up in
``.venv-tools/`` first; see requirements-tools.txt.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TF_DIR = REPO_ROOT / "infra" / "terraform"
MODULES_DIR = TF_DIR / "modules"

CHECKOV_CANDIDATES = (
    REPO_ROOT / ".venv-tools" / "bin" / "checkov",
    REPO_ROOT / ".venv" / "bin" / "checkov",
)
CHECKOV_SETUP = (
    "uv venv .venv-tools --python 3.11 && "
    "uv pip install --python .venv-tools/bin/python -r requirements-tools.lock"
)

LAMBDA_HANDLER = "trigger_lambda.handler.handler"
# Repo-relative paths Terraform must reference for lambdas/ and glue_jobs/, and nothing else.
EXPECTED_SOURCE_DIRS = {
    "lambda_source_dir": "lambdas",
    "glue_jobs_dir": "glue_jobs",
    "glue_lib_dir": "glue_jobs/glue_lib",
}

PATH_REF = re.compile(r"\$\{path\.(root|module)\}(/[^\"$]*)?")
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(CKV2?_[A-Z0-9]+_\d+)(?::(.*))?")


def tf_files() -> list[Path]:
    return sorted(p for p in TF_DIR.rglob("*.tf") if ".terraform" not in p.parts)


def block_body(text: str, header: str) -> str:
    """Body of the first HCL block whose opening line matches ``header`` (a regex)."""
    match = re.search(header + r"\s*\{", text, re.MULTILINE)
    assert match, f"no block matching {header!r}"
    depth, start = 0, match.end() - 1
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index]
    raise AssertionError(f"unbalanced braces after {header!r}")


def attribute(body: str, name: str) -> str:
    """Raw right-hand side of ``name = ...`` in a block body (first occurrence)."""
    match = re.search(rf"^\s*{re.escape(name)}\s*=\s*(.+?)\s*$", body, re.MULTILINE)
    assert match, f"attribute {name!r} not found"
    return match.group(1)


def string_value(raw: str) -> str:
    assert raw.startswith('"') and raw.endswith('"'), f"not a plain string: {raw}"
    return raw[1:-1]


def repo_relative(path: Path) -> str:
    return path.resolve().relative_to(REPO_ROOT).as_posix()


# ------------------------------------------------------------------------------------------
# 1. terraform fmt
# ------------------------------------------------------------------------------------------


def test_terraform_fmt_is_clean():
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform binary not on PATH (install Terraform >= 1.5 to check formatting)")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TF_DIR)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (
        "terraform fmt -check failed; run `terraform fmt -recursive infra/terraform`:\n"
        + result.stdout
        + result.stderr
    )


# ------------------------------------------------------------------------------------------
# 2. checkov
# ------------------------------------------------------------------------------------------


def checkov_binary() -> Path:
    for candidate in CHECKOV_CANDIDATES:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "checkov not found at "
        + " or ".join(str(c.relative_to(REPO_ROOT)) for c in CHECKOV_CANDIDATES)
        + f"; set it up from the repo root with: {CHECKOV_SETUP}"
    )


@pytest.fixture(scope="module")
def checkov_report() -> dict:
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", LOG_LEVEL="ERROR")
    result = subprocess.run(
        [
            str(checkov_binary()),
            "--directory",
            str(TF_DIR),
            "--framework",
            "terraform",
            "--compact",
            "--skip-download",  # no calls home: guidelines/policies are not fetched
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=REPO_ROOT,
        env=env,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov gave no JSON (exit {result.returncode}):\n{result.stderr[-4000:]}")
    reports = report if isinstance(report, list) else [report]
    terraform = [r for r in reports if r.get("check_type") == "terraform"]
    assert terraform, f"checkov found no Terraform to scan: {result.stdout[:2000]}"
    return terraform[0]


def test_checkov_has_no_failed_checks(checkov_report):
    summary = checkov_report["summary"]
    failed = checkov_report["results"]["failed_checks"]
    details = "\n".join(
        f"  {f['check_id']} {f['resource']} ({f['file_path']}:{f['file_line_range'][0]}) "
        f"{f['check_name']}"
        for f in failed
    )
    assert summary["failed"] == 0, f"checkov failed checks:\n{details}"
    assert summary["parsing_errors"] == 0, "checkov could not parse some .tf files"
    assert summary["passed"] > 0, "checkov passed nothing: did it scan infra/terraform?"


def test_checkov_skips_are_justified_inline(checkov_report):
    for skipped in checkov_report["results"]["skipped_checks"]:
        reason = (skipped["check_result"].get("suppress_comment") or "").strip()
        assert len(reason) >= 20, (
            f"{skipped['check_id']} on {skipped['resource']} is skipped without a real reason"
        )

    for path in tf_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = SKIP_COMMENT.search(line)
            if match:
                reason = (match.group(2) or "").strip()
                assert len(reason) >= 20, (
                    f"{path.relative_to(REPO_ROOT)}:{number}: {match.group(1)} needs a reason "
                    "(#checkov:skip=CKV_...:why)"
                )


# ------------------------------------------------------------------------------------------
# 3. repo paths referenced by the Terraform
# ------------------------------------------------------------------------------------------


def test_path_references_stay_inside_the_repo_and_hit_the_right_code():
    """Every ${path.root}/${path.module} path resolves inside the repo; the ones under
    lambdas/ and glue_jobs/ are exactly the Lambda folder, the job folder and glue_lib."""
    code_refs = set()
    for path in tf_files():
        for match in PATH_REF.finditer(path.read_text()):
            base = TF_DIR if match.group(1) == "root" else path.parent
            target = (base / (match.group(2) or "").lstrip("/")).resolve()
            assert target.is_relative_to(REPO_ROOT), (
                f"{path.relative_to(REPO_ROOT)} references {target}, outside the repo"
            )
            relative = repo_relative(target)
            if relative.split("/")[0] in {"lambdas", "glue_jobs"}:
                code_refs.add(relative)
    assert code_refs == set(EXPECTED_SOURCE_DIRS.values())


def test_root_locals_point_at_the_repo_code():
    root = (TF_DIR / "main.tf").read_text()
    locals_body = block_body(root, r"^locals")
    for name, expected in EXPECTED_SOURCE_DIRS.items():
        raw = string_value(attribute(locals_body, name))
        assert raw.startswith("${path.root}/"), f"local.{name} must be relative to path.root"
        resolved = (TF_DIR / raw.removeprefix("${path.root}/")).resolve()
        assert repo_relative(resolved) == expected, f"local.{name} -> {repo_relative(resolved)}"


def test_lambda_package_and_handler():
    root = (TF_DIR / "main.tf").read_text()
    call = block_body(root, r'module\s+"lambda_trigger"')
    assert attribute(call, "source_dir") == "local.lambda_source_dir"
    assert string_value(attribute(call, "handler")) == LAMBDA_HANDLER
    assert string_value(attribute(call, "runtime")) == "python3.11"

    module = (MODULES_DIR / "lambda_trigger" / "main.tf").read_text()
    archive = block_body(module, r'data\s+"archive_file"\s+"package"')
    # The whole lambdas/ folder is zipped, so the package directory sits at the zip root.
    assert attribute(archive, "source_dir") == "var.source_dir"
    function = block_body(module, r'resource\s+"aws_lambda_function"\s+"this"')
    assert attribute(function, "handler") == "var.handler"
    code_hash = attribute(function, "source_code_hash")
    assert code_hash == "data.archive_file.package.output_base64sha256"
    env = block_body(function, r"environment")
    assert "PIPELINE_LAKE_ROOT" in env

    # trigger_lambda.handler.handler -> lambdas/trigger_lambda/handler.py, def handler(...)
    *module_path, function_name = LAMBDA_HANDLER.split(".")
    handler_file = REPO_ROOT / "lambdas" / Path(*module_path).with_suffix(".py")
    assert repo_relative(handler_file) == "lambdas/trigger_lambda/handler.py"
    if handler_file.exists():
        assert (handler_file.parent / "__init__.py").exists(), "trigger_lambda is not a package"
        assert re.search(rf"^def {function_name}\(", handler_file.read_text(), re.MULTILINE)


def default_datasets() -> list[str]:
    variables = (TF_DIR / "variables.tf").read_text()
    body = block_body(variables, r'variable\s+"datasets"')
    return json.loads(attribute(body, "default"))


def test_glue_scripts_and_lib_for_default_datasets():
    root = (TF_DIR / "main.tf").read_text()
    call = block_body(root, r'module\s+"glue"')
    assert attribute(call, "glue_jobs_dir") == "local.glue_jobs_dir"
    assert attribute(call, "glue_lib_dir") == "local.glue_lib_dir"

    module = (MODULES_DIR / "glue" / "main.tf").read_text()
    job_script = block_body(module, r'resource\s+"aws_s3_object"\s+"job_script"')
    validate_script = block_body(module, r'resource\s+"aws_s3_object"\s+"validate_script"')
    job_template = string_value(attribute(job_script, "source"))
    validate_template = string_value(attribute(validate_script, "source"))
    assert job_template == "${var.glue_jobs_dir}/${each.key}_job.py"
    assert validate_template == "${var.glue_jobs_dir}/validate_job.py"

    jobs_dir = REPO_ROOT / EXPECTED_SOURCE_DIRS["glue_jobs_dir"]
    datasets = default_datasets()
    assert datasets == ["orders"]
    rendered = [
        job_template.replace("${var.glue_jobs_dir}", str(jobs_dir)).replace("${each.key}", d)
        for d in datasets
    ] + [validate_template.replace("${var.glue_jobs_dir}", str(jobs_dir))]
    assert [repo_relative(Path(p)) for p in rendered] == [
        "glue_jobs/orders_job.py",
        "glue_jobs/validate_job.py",
    ]

    # glue_lib is zipped with its folder name inside the zip, for --extra-py-files.
    archive = block_body(module, r'data\s+"archive_file"\s+"glue_lib"')
    assert 'fileset(var.glue_lib_dir, "**/*.py")' in archive
    assert '"glue_lib/${source.value}"' in archive
    lib_dir = REPO_ROOT / EXPECTED_SOURCE_DIRS["glue_lib_dir"]
    assert (lib_dir / "__init__.py").exists(), "glue_jobs/glue_lib must be a package"


def test_glue_job_arguments():
    module = (MODULES_DIR / "glue" / "main.tf").read_text()
    common = block_body(module, r"common_arguments\s*=")
    expected = {
        '"--extra-py-files"': '"${local.scripts_uri}/glue_lib.zip"',
        '"--job-bookmark-option"': '"job-bookmark-disable"',
        '"--enable-metrics"': '"true"',
        '"--enable-continuous-cloudwatch-log"': '"true"',
        '"--lake_root"': "local.lake_root",
    }
    for key, value in expected.items():
        assert attribute(common, key) == value
    # The jobs read and write paths; only the crawler uses the Data Catalog.
    assert "--enable-glue-datacatalog" not in common
    clean = block_body(module, r'resource\s+"aws_glue_job"\s+"clean"')
    assert attribute(clean, "name") == "local.job_names[each.key]"
    assert '"--dataset" = each.key' in clean
    locals_body = block_body(module, r"^locals")
    assert attribute(locals_body, "job_names") == (
        '{ for d in var.datasets : d => "${var.name_prefix}-${d}" }'
    )
    validate_name = string_value(attribute(locals_body, "validate_job_name"))
    assert validate_name == "${var.name_prefix}-validate"

    variables = (TF_DIR / "variables.tf").read_text()
    python_modules = block_body(variables, r'variable\s+"glue_additional_python_modules"')
    assert json.loads(attribute(python_modules, "default")) == [
        "pycountry==24.6.1",
        "great-expectations==1.24.1",
    ]
    glue_version = block_body(variables, r'variable\s+"glue_version"')
    assert string_value(attribute(glue_version, "default")) == "5.1"


def test_job_role_grants_exactly_the_calls_the_jobs_make():
    """S3 through Spark/EMRFS and s3fs, logs and Glue metrics, the pipeline key; no Data
    Catalog (the jobs write paths, the crawler catalogs) and no kms:Encrypt (SSE-KMS writes
    need GenerateDataKey)."""
    iam = (MODULES_DIR / "glue" / "iam.tf").read_text()
    policy = block_body(iam, r'data\s+"aws_iam_policy_document"\s+"job"')
    lists = re.findall(r"actions\s*=\s*\[([^\]]*)\]", policy)
    actions = {a for body in lists for a in re.findall(r'"([^"]+)"', body)}
    assert actions == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:AssociateKmsKey",
        "cloudwatch:PutMetricData",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "kms:DescribeKey",
    }


def test_airflow_env_output_names():
    root = (TF_DIR / "main.tf").read_text()
    env = block_body(root, r"airflow_env\s*=")
    names = set(re.findall(r"^\s*(PIPELINE_[A-Z_]+)\s*=", env, re.MULTILINE))
    assert names == {
        "PIPELINE_TARGET",
        "PIPELINE_LAKE_ROOT",
        "PIPELINE_AWS_REGION",
        "PIPELINE_LAMBDA_FUNCTION",
        "PIPELINE_GLUE_JOB_PREFIX",
        "PIPELINE_GLUE_CRAWLER_PREFIX",
        "PIPELINE_ATHENA_WORKGROUP",
        "PIPELINE_GLUE_DATABASE",
        "PIPELINE_GLUE_SCRIPTS_URI",
        "PIPELINE_METRICS_NAMESPACE",
    }
    outputs = (TF_DIR / "outputs.tf").read_text()
    for output in ("airflow_env", "events_queue_url", "events_queue_arn"):
        assert re.search(rf'^output\s+"{output}"', outputs, re.MULTILINE)


def test_dashboard_and_alarms_use_only_the_metrics_the_code_publishes():
    """Every metric the CloudWatch dashboard and alarms name is one that
    pipeline/steps/metrics.py publishes, with its dimensions; none is left out."""
    from pipeline.steps import metrics

    text = (TF_DIR / "modules/monitoring/pipeline_metrics.tf").read_text()
    named = set(re.findall(r'metric_name\s*=\s*"(\w+)"', text))
    named |= set(re.findall(r'MetricName=\\"(\w+)\\"', text))
    named |= set(re.findall(r'\[var\.metrics_namespace,\s*"(\w+)"', text))
    for listed in re.findall(r"for name in \[([^\]]*)\]", text):
        named |= set(re.findall(r'"(\w+)"', listed))
    assert named, "no metric found in the dashboard or alarms"
    assert named <= set(metrics.METRIC_NAMES), named - set(metrics.METRIC_NAMES)
    assert named == set(metrics.METRIC_NAMES)  # and every published one is charted
    record = {
        "dataset": "orders",
        "status": "success",
        "totals": {"rows_read": 4},
        "timings": {"glue_job": 1.0},
    }
    dimensions = {d["Name"] for m in metrics.metric_data(record) for d in m["Dimensions"]}
    assert dimensions == {"Dataset", "Step"}
    assert set(re.findall(r'"Dataset"|Dataset\s*=|Dataset=|,Dataset,Step', text))
