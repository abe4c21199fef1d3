"""Benchmarks of the orders Glue job against DuckDB and a pandas (Lambda-style) script.

Entry point: ``python -m bench.run`` (see ``bench/README.md``).
"""
