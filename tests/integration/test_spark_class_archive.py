"""The JVM really maps Spark's classes from the class archive (``pipeline.spark_class_archive``).

``make setup`` builds the archive; if it is missing, this test builds it (~40 s), so a build
that fails on this machine fails here rather than only costing speed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.spark_class_archive import ensure_class_archive
from pipeline.spark_submit import spark_submit_command

pytestmark = pytest.mark.integration

SCRIPT = """
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
print("rows", spark.range(1000).selectExpr("sum(id) AS total").first()["total"])
spark.stop()
"""


def test_spark_submit_maps_spark_classes_from_the_archive(tmp_path: Path):
    settings = Settings.load()
    archive = ensure_class_archive(settings)
    assert archive is not None and archive.is_file()

    script = tmp_path / "probe.py"
    script.write_text(SCRIPT)
    command, env = spark_submit_command(script, {}, settings)
    loaded = tmp_path / "classes.log"
    option = next(i for i, o in enumerate(command) if o.startswith("spark.driver.extraJavaOptions"))
    command[option] += f" -Xlog:class+load=info:file={loaded}"  # where each class came from

    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "rows 499500" in result.stdout
    spark = [line for line in loaded.read_text().splitlines() if "org.apache.spark." in line]
    shared = [line for line in spark if "source: shared objects file (top)" in line]
    from_jars = [line for line in spark if "source: file:" in line or "source: jar:" in line]
    # Spark's classes come from the archive, not from its jars (the others are lambdas
    # the JVM spins at run time, which no archive holds)
    assert len(shared) > 1000 and len(from_jars) < 0.05 * len(shared), (
        len(shared),
        from_jars[:5],
    )
