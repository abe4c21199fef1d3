"""Small text reads/writes through Spark's Hadoop FileSystem.

The same calls work for ``s3://`` on Glue and for local paths, so the jobs need neither
boto3 nor fsspec for their manifests, counts and reports.
"""

from __future__ import annotations

from pyspark.sql import SparkSession


def _hadoop_path(spark: SparkSession, uri: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def read_text(spark: SparkSession, uri: str) -> str:
    """The whole file at ``uri`` as UTF-8 text."""
    path, fs = _hadoop_path(spark, uri)
    jvm = spark.sparkContext._jvm
    stream = fs.open(path)
    try:
        data = jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
    finally:
        stream.close()
    return bytes(data).decode("utf-8")


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    """Write ``text`` to ``uri``, replacing it (write to a temp name, then rename)."""
    path, fs = _hadoop_path(spark, uri)
    jvm = spark.sparkContext._jvm
    tmp = jvm.org.apache.hadoop.fs.Path(uri + ".tmp")
    stream = fs.create(tmp, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
    if fs.exists(path):
        fs.delete(path, False)
    fs.rename(tmp, path)


def exists(spark: SparkSession, uri: str) -> bool:
    path, fs = _hadoop_path(spark, uri)
    return bool(fs.exists(path))


def delete(spark: SparkSession, uri: str) -> None:
    """Remove a file or folder tree if it exists."""
    path, fs = _hadoop_path(spark, uri)
    if fs.exists(path):
        fs.delete(path, True)


def copy_file(spark: SparkSession, source_uri: str, target_uri: str) -> None:
    """Copy one object (replacing the target), through the Hadoop FileSystem of each side."""
    source, source_fs = _hadoop_path(spark, source_uri)
    target, target_fs = _hadoop_path(spark, target_uri)
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    jvm.org.apache.hadoop.fs.FileUtil.copy(source_fs, source, target_fs, target, False, True, conf)
