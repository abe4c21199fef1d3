"""Glue-style job arguments (``--key value``), parsed the same way locally and on Glue.

AWS Glue passes its own arguments too (``--JOB_NAME``, ``--JOB_RUN_ID``,
``--job-bookmark-option`` ...); like ``awsglue.utils.getResolvedOptions`` we read only the
keys a job asks for and ignore the rest, so the same script runs under both.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


class JobArgumentError(SystemExit):
    """A required job argument is missing; exits with a one-line message, no stack trace."""


def parse_job_args(
    required: Sequence[str],
    argv: Sequence[str] | None = None,
    optional: dict[str, str] | None = None,
) -> dict[str, str]:
    """Return ``{key: value}`` for the ``required`` and ``optional`` keys found in argv."""
    argv = list(sys.argv[1:] if argv is None else argv)
    optional = optional or {}
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for key in required:
        parser.add_argument(f"--{key}", dest=key, default=None)
    for key, default in optional.items():
        parser.add_argument(f"--{key}", dest=key, default=default)
    known, _ignored = parser.parse_known_args(argv)
    values = vars(known)
    missing = [key for key in required if values.get(key) in (None, "")]
    if missing:
        flags = ", ".join(f"--{key}" for key in missing)
        raise JobArgumentError(f"error: missing required job argument(s): {flags}")
    return {key: value for key, value in values.items() if value is not None}


def accepted_keys(required: Sequence[str], optional: dict[str, str] | None = None) -> set[str]:
    """All argument keys a job understands (used to check the DAG passes only these)."""
    return set(required) | set(optional or {})
