"""The results dashboard: ``pipeline dashboard --lake DIR [--port 8050]``.

A page on http://127.0.0.1:8050/ with, per dataset, the latest run's counts and rejection
reasons, each summary as a chart and a table, the runs with their per-step timings, the
catalogued tables, and links to the Great Expectations Data Docs. It reads the lake
through the same query layer as the Athena step (see :mod:`pipeline.dashboard.data`) and
loads nothing from the network: the charts are drawn as SVG by ``static/app.js``.
"""
