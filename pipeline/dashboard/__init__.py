"""The results dashboard: ``pipeline dashboard --lake DIR [--port 8050]``.

A page on http://127.0.0.1:8050/ with, per dataset, the latest run's counts and rejection
reasons, each summary as a chart and a table, the runs with their per-step timings, the
catalogued tables, and links to the Great Expectations Data Docs. A Flask app
(:mod:`pipeline.dashboard.server`); its data (:mod:`pipeline.dashboard.data`) is read with
Trino SQL from DuckDB locally or Athena on the aws target (:mod:`pipeline.dashboard.sources`);
the charts are Vega-Lite specs (:mod:`pipeline.dashboard.charts`) drawn by vega-embed from
``node_modules/``, so nothing is loaded from the network.
"""
