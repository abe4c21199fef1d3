"""A class-data-sharing archive that makes every local Spark JVM start faster.

A local Spark driver loads, parses and verifies thousands of classes from Spark's jars at
every start, on the same cores the job needs. The JDK can map them from an archive instead
(AppCDS): ``-XX:ArchiveClassesAtExit`` writes one when a JVM exits, and
``-XX:SharedArchiveFile`` uses it. That took 3-5 s off every spark-submit of an orders job
on this project's 2-core machine (bench/TUNING.md). :func:`ensure_class_archive` (run by
``make setup``) builds the archive once per machine: a small orders run, its Glue job and
its validation, in one warm-runner JVM (the flow of every local run) that writes what it
loaded when it stops.

The JVM accepts an archive only for the class path it was built with, and only when no
non-empty folder is on that path; Spark puts ``SPARK_CONF_DIR`` on it. So with an archive,
spark-submit gets an empty conf folder, and the local Spark settings are passed by name:
``--properties-file`` and log4j's ``-Dlog4j2.configurationFile``. An archive that does not
fit (another JDK, another Spark) is quietly ignored by the JVM; the folder name carries a
fingerprint of both, so a change of either builds a new one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from .config import REPO_ROOT, Settings

log = logging.getLogger(__name__)
ARCHIVE_OFF = "off"  # spark_class_archive value: no archive, SPARK_CONF_DIR as usual
LOCAL_SPARK_CONF = REPO_ROOT / "glue_jobs" / "local-spark-conf"
# The JVM's CDS messages (classes it cannot archive, an archive that does not fit) would
# otherwise go to the job's stdout.
_QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"


@dataclass(frozen=True)
class ClassArchive:
    """One machine's archive: its folder is named after the JDK and Spark it fits."""

    folder: Path

    @property
    def file(self) -> Path:
        return self.folder / "spark-classes.jsa"

    @property
    def empty_conf_dir(self) -> Path:
        return self.folder / "conf"


def class_archive(settings: Settings) -> ClassArchive | None:
    """The archive these settings use (built or not); None when switched off."""
    if settings.spark_class_archive == ARCHIVE_OFF:
        return None
    return ClassArchive(Path(settings.spark_class_archive) / _fingerprint())


def submit_options(settings: Settings, dump_to: Path | None = None) -> tuple[list[str], str]:
    """(spark-submit options, SPARK_CONF_DIR) for a local driver.

    With a built archive (or ``dump_to``, a file to write one to at exit): an empty conf
    folder and the local settings by name. Otherwise the local conf folder, as a plain
    ``SPARK_CONF_DIR=glue_jobs/local-spark-conf spark-submit`` would have it.
    """
    archive = class_archive(settings)
    if dump_to is None and (archive is None or not archive.file.is_file()):
        return [], str(LOCAL_SPARK_CONF)
    if archive is None:
        raise ValueError("no class archive: spark_class_archive is off")
    archive.empty_conf_dir.mkdir(parents=True, exist_ok=True)
    sharing = (
        f"-XX:ArchiveClassesAtExit={dump_to}"
        if dump_to is not None
        else f"-XX:SharedArchiveFile={archive.file}"
    )
    java_options = " ".join(
        [
            shlex.quote(f"-Dlog4j2.configurationFile={LOCAL_SPARK_CONF / 'log4j2.properties'}"),
            shlex.quote(sharing),
            _QUIET,
        ]
    )
    options = [
        "--properties-file",
        str(LOCAL_SPARK_CONF / "spark-defaults.conf"),
        "--conf",
        f"spark.driver.extraJavaOptions={java_options}",
    ]
    return options, str(archive.empty_conf_dir)


def ensure_class_archive(settings: Settings) -> Path | None:
    """Build the archive unless it exists (or is off); its path, or None."""
    archive = class_archive(settings)
    if archive is None:
        log.info("Spark class archive: off")
        return None
    if archive.file.is_file():
        log.debug("Spark class archive: %s", archive.file)
        return archive.file
    log.info("building the Spark class archive (once per machine, ~40 s): %s", archive.file)
    archive.folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="spark-classes-") as scratch:
        partial = archive.folder / f"spark-classes.{os.getpid()}.partial"
        try:
            _sample_run(Path(scratch), settings, dump_to=partial)
            if not partial.is_file():
                raise RuntimeError("the JVM wrote no class archive (does it support AppCDS?)")
            partial.replace(archive.file)  # atomic: a concurrent build just wins or loses
        finally:
            partial.unlink(missing_ok=True)
    log.info("Spark class archive ready: %s", archive.file)
    return archive.file


def _sample_run(scratch: Path, settings: Settings, dump_to: Path) -> None:
    """A small orders run (job, then validation) in one runner JVM that archives at exit."""
    from trigger_lambda.handler import log as lambda_log  # its per-file lines: noise here

    from .datasets import get_dataset
    from .generate.orders import generate_orders
    from .glue_args import glue_arguments
    from .lake import Lake
    from .spark_runner import warm_spark_runner
    from .steps.glue import run_clean_job_local, run_validation_local
    from .steps.trigger import invoke_trigger_local

    lake, day = Lake(str(scratch / "lake")), date(2024, 3, 1)
    keys = generate_orders(lake.root, day, rows=2000, files=3, bad_files=1)
    lambda_log.disabled = True
    try:
        invoke_trigger_local(lake, "orders", day, keys)
    finally:
        lambda_log.disabled = False
    spec = get_dataset("orders")
    with warm_spark_runner(settings, dump_classes_to=dump_to) as socket_path:
        on_runner = replace(settings, spark_runner=socket_path)
        counts = run_clean_job_local(spec, glue_arguments(lake, "orders", str(day)), on_runner)
        run_validation_local(spec, lake, day, counts["rows_valid_by_table"], on_runner)


def _fingerprint() -> str:
    """Names the JDK and the Spark jars an archive was built from (their paths and dates)."""
    import pyspark

    java_home = os.environ.get("JAVA_HOME")
    java = f"{java_home}/bin/java" if java_home else shutil.which("java") or "java"
    parts = [pyspark.__version__]
    for path in (Path(java), Path(pyspark.__file__).parent / "jars"):
        resolved = path.resolve()
        stat = resolved.stat() if resolved.exists() else None
        parts += [str(resolved), str(stat and (stat.st_mtime_ns, stat.st_size))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def main() -> int:
    """``python -m pipeline.spark_class_archive``: build the archive if it is missing."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")  # the sample run's too
    log.setLevel(logging.INFO)
    try:
        ensure_class_archive(Settings.load())
    except Exception as error:  # a slower start is no reason to fail the set-up
        log.warning("no Spark class archive (Spark starts without one): %s", error)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
