"""Independent reference implementations that tests compare the Spark pipeline against.

Plain standard library (plus pycountry): nothing here imports the pipeline, pyspark or
DuckDB, so a bug shared by the pipeline and its checker is unlikely.
"""
