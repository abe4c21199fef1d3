"""SparkSession set-up, kept at the edge so transformations stay pure."""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from pathlib import Path

from pyspark.sql import SparkSession

# Settings the results depend on; set here so Glue and local Spark agree.
CORRECTNESS_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
}

# Settings that only change speed, on Glue and locally alike (``extra_conf`` overrides).
PERFORMANCE_CONF = {
    # The cleaning rules compile to one large generated method; HotSpot does not JIT a
    # method over 8000 bytes of bytecode (HugeMethodLimit), so it would run interpreted.
    # Above this size Spark drops whole-stage codegen for that subtree and generates
    # per-operator code split into small methods, which the JIT compiles.
    "spark.sql.codegen.hugeMethodLimit": "8000",
    # Dedupe keeps row_number() == 1 per key. Spark 3.5 then adds a partial
    # WindowGroupLimit: a full sort of every row before the shuffle, to drop rows that
    # cannot come first. With few duplicates it drops almost nothing, and the sort after
    # the shuffle is still needed (bench/TUNING.md).
    "spark.sql.optimizer.windowGroupLimitThreshold": "-1",
}


def build_spark(app_name: str, extra_conf: dict[str, str] | None = None) -> SparkSession:
    """Get (or create) the session; on Glue one already exists and is reused.

    ``extra_conf`` is for tuning only (tests, local runs); it cannot override the
    correctness settings. The performance defaults apply unless ``extra_conf``, the
    job's ``--conf`` or ``spark-defaults.conf`` already set the key.
    """
    builder = SparkSession.builder.appName(app_name)
    for key, value in {**(extra_conf or {}), **CORRECTNESS_CONF}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in CORRECTNESS_CONF.items():
        spark.conf.set(key, value)
    given = spark.sparkContext.getConf()
    for key, value in PERFORMANCE_CONF.items():
        if key not in (extra_conf or {}) and not given.contains(key):
            spark.conf.set(key, value)
    spark.sparkContext.setLogLevel("WARN")
    ship_glue_lib(spark)
    return spark


def ship_glue_lib(spark: SparkSession) -> None:
    """Make ``glue_lib`` importable in Python workers when it runs from a source folder.

    On Glue it arrives as the ``--extra-py-files`` zip and is already everywhere; a plain
    local ``spark-submit glue_jobs/<job>.py`` has it only on the driver, so zip and add it.
    """
    package_dir = Path(__file__).resolve().parent
    if not package_dir.is_dir() or spark.conf.get("spark.glue_lib.shipped", "false") == "true":
        return
    staging = Path(tempfile.mkdtemp(prefix="glue_lib_"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)  # Spark keeps its own copy
    archive = shutil.make_archive(
        str(staging / "glue_lib"), "zip", root_dir=package_dir.parent, base_dir=package_dir.name
    )
    spark.sparkContext.addPyFile(archive)
    spark.conf.set("spark.glue_lib.shipped", "true")


def job_logger(name: str) -> logging.Logger:
    """A logger whose lines say what the job did (Glue ships stdout to CloudWatch)."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger
