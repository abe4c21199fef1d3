"""Parquet the Python workers write, as Spark would, and a partition replaced by it.

A vectorised-rules job writes its outputs from the Python workers (``staging.py``,
``latest_rows.py``): each part goes under the partition's ``_temporary/`` (Hadoop's
committer folder, which every reader skips) and the driver then replaces the partition's
files with the parts, so a killed job never leaves half a partition for a reader. The
parts are written as Spark writes them (snappy, INT96 timestamps), so readers see one
table whichever engine wrote it.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

TEMPORARY = "_temporary"


def temporary_folder(partition: str) -> str:
    return f"{partition}/{TEMPORARY}"


def write_parquet(table: pa.Table, path: str, filesystem: pafs.FileSystem) -> None:
    """A Parquet file as Spark writes one (snappy, INT96 timestamps)."""
    pq.write_table(
        table,
        path,
        filesystem=filesystem,
        compression="snappy",
        use_deprecated_int96_timestamps=True,
    )


def replace_partition(filesystem: pafs.FileSystem, folder: str, schema: pa.Schema) -> None:
    """Replace what ``folder`` holds by the parts in its ``_temporary/``.

    No part at all (no rows) leaves one empty part with ``schema``, as Spark does, so
    readers and crawlers still find the columns.
    """
    temporary = temporary_folder(folder)
    filesystem.create_dir(temporary, recursive=True)
    if not filesystem.get_file_info(pafs.FileSelector(temporary)):
        write_parquet(schema.empty_table(), f"{temporary}/part-00000.snappy.parquet", filesystem)
    for info in filesystem.get_file_info(pafs.FileSelector(folder)):
        if info.base_name == TEMPORARY:
            continue
        if info.type == pafs.FileType.Directory:
            filesystem.delete_dir(info.path)
        else:
            filesystem.delete_file(info.path)
    for info in filesystem.get_file_info(pafs.FileSelector(temporary)):
        filesystem.move(info.path, f"{folder}/{info.base_name}")
    filesystem.delete_dir(temporary)
