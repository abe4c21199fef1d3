"""Synthetic raw data for the lake: realistic files, dirty rows included, reproducible by seed.

The pipeline is only as trustworthy as the mess it has been tested against, so each
generator deliberately produces every kind of dirt its dataset contract names.
"""
