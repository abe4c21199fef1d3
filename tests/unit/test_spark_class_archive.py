"""The JVM class archive's spark-submit options (``pipeline.spark_class_archive``)."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

import pytest

from pipeline import spark_class_archive as archive_module
from pipeline.config import Settings
from pipeline.spark_class_archive import (
    ARCHIVE_OFF,
    LOCAL_SPARK_CONF,
    class_archive,
    ensure_class_archive,
    submit_options,
)
from pipeline.spark_submit import spark_submit_command


def _java_options(options: list[str]) -> list[str]:
    """The extraJavaOptions the options set, split as Spark splits them (like a shell)."""
    (value,) = [o for o in options if o.startswith("spark.driver.extraJavaOptions=")]
    return shlex.split(value.split("=", 1)[1])


def _built(settings: Settings) -> Path:
    archive = class_archive(settings)
    archive.folder.mkdir(parents=True)
    archive.file.write_bytes(b"not a real archive: only its presence counts here")
    return archive.file


def test_off_or_not_built_leaves_spark_submit_as_a_user_would_run_it(tmp_path):
    for settings in (
        Settings(spark_class_archive=ARCHIVE_OFF),
        Settings(spark_class_archive=str(tmp_path / "nothing built here")),
    ):
        assert submit_options(settings) == ([], str(LOCAL_SPARK_CONF))
    assert class_archive(Settings(spark_class_archive=ARCHIVE_OFF)) is None


def test_a_built_archive_is_shared_with_the_local_settings_passed_by_name(tmp_path):
    settings = Settings(spark_class_archive=str(tmp_path / "cache with spaces ü"))
    jsa = _built(settings)
    options, conf_dir = submit_options(settings)

    assert options[:2] == ["--properties-file", str(LOCAL_SPARK_CONF / "spark-defaults.conf")]
    java = _java_options(options)
    assert f"-XX:SharedArchiveFile={jsa}" in java
    assert f"-Dlog4j2.configurationFile={LOCAL_SPARK_CONF / 'log4j2.properties'}" in java
    assert "-Xlog:cds=off" in java  # the JVM's CDS warnings stay out of the job's output
    # the JVM refuses an archive when a non-empty folder is on the class path
    assert Path(conf_dir).is_dir() and not any(Path(conf_dir).iterdir())
    assert Path(conf_dir).parent == jsa.parent


def test_dumping_writes_the_archive_at_exit_instead_of_reading_it(tmp_path):
    settings = Settings(spark_class_archive=str(tmp_path))
    options, _ = submit_options(settings, dump_to=tmp_path / "new.jsa")
    java = _java_options(options)
    assert f"-XX:ArchiveClassesAtExit={tmp_path / 'new.jsa'}" in java
    assert not [o for o in java if o.startswith("-XX:SharedArchiveFile")]
    with pytest.raises(ValueError, match="off"):
        submit_options(Settings(spark_class_archive=ARCHIVE_OFF), dump_to=tmp_path / "x.jsa")


def test_spark_submit_command_and_environment_agree(tmp_path):
    settings = Settings(spark_class_archive=str(tmp_path))
    script = Path("glue_jobs/orders_job.py")
    command, env = spark_submit_command(script, {"--run_date": "2024-03-01"}, settings)
    assert "--properties-file" not in command
    assert env["SPARK_CONF_DIR"] == str(LOCAL_SPARK_CONF)

    _built(settings)
    command, env = spark_submit_command(script, {"--run_date": "2024-03-01"}, settings)
    assert command.index("--properties-file") < command.index(str(script))
    assert command[-2:] == ["--run_date", "2024-03-01"]
    assert env["SPARK_CONF_DIR"] == str(class_archive(settings).empty_conf_dir)


def test_another_jdk_gets_another_archive(tmp_path, monkeypatch):
    settings = Settings(spark_class_archive=str(tmp_path))
    first = class_archive(settings)
    (tmp_path / "jdk" / "bin").mkdir(parents=True)
    (tmp_path / "jdk" / "bin" / "java").write_text("#!/bin/sh\n")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert class_archive(settings) != first
    assert class_archive(settings) == class_archive(settings)


def test_an_existing_archive_is_not_rebuilt(tmp_path, monkeypatch):
    settings = Settings(spark_class_archive=str(tmp_path))
    jsa = _built(settings)
    monkeypatch.setattr(archive_module, "_sample_run", _must_not_run)
    assert ensure_class_archive(settings) == jsa
    assert ensure_class_archive(Settings(spark_class_archive=ARCHIVE_OFF)) is None


def test_a_failed_build_warns_leaves_nothing_and_set_up_goes_on(tmp_path, monkeypatch, caplog):
    def fail(scratch: Path, settings: Settings, dump_to: Path) -> None:
        dump_to.write_bytes(b"half written")
        raise RuntimeError("the JVM died")

    monkeypatch.setenv("PIPELINE_SPARK_CLASS_ARCHIVE", str(tmp_path))
    monkeypatch.setattr(archive_module, "_sample_run", fail)
    with caplog.at_level(logging.WARNING):
        assert archive_module.main() == 0
    assert "the JVM died" in caplog.text
    assert not list(tmp_path.rglob("*.jsa")) and not list(tmp_path.rglob("*.partial"))


def _must_not_run(*args, **kwargs):
    raise AssertionError("the archive exists; nothing should be built")
