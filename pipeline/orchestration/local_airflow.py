"""The local Airflow's settings, the one place both local entry points take them from.

``pipeline run``/``backfill`` (``dag.test`` in the command's process) and
``scripts/airflow.sh`` (``make airflow``: standalone) share one metadata DB,
``.airflow/airflow.db``, and whichever runs first registers the DAGs in it: ``dag.test``
writes every DAG of the dags folder, not only its own. Airflow sets a DAG row's
``is_paused`` once, when it creates the row, from ``[core] dags_are_paused_at_creation``
(its default: paused); parsing never changes it afterwards. So both entry points create
the rows unpaused, and a DAG the user pauses in the UI stays paused across restarts.

Python: :func:`apply` (before Airflow is imported: it reads its configuration then).
Shell: ``eval "$(python -m pipeline.orchestration.local_airflow)"`` exports the same.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import MutableMapping

from pipeline.config import REPO_ROOT

# always these: this project's DAGs, no example DAGs
FIXED = {
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
}
# unless the environment sets them (like the shell's ${NAME:-default}: empty = unset)
DEFAULTS = {
    "AIRFLOW_HOME": str(REPO_ROOT / ".airflow"),
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
}


def settings(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """The local Airflow's environment variables, given the current environment."""
    chosen = {name: environ.get(name) or default for name, default in DEFAULTS.items()}
    return {**chosen, **FIXED}


def apply(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set the local Airflow's environment variables in ``environ``."""
    environ.update(settings(environ))


def main() -> int:
    for name, value in settings().items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
