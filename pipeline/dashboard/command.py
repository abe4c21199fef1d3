"""``pipeline dashboard --lake DIR [--port 8050] [--database NAME]`` (light to import).

The server and the query layer are imported only when the command runs, so
``pipeline --help`` and the other subcommands do not pay for DuckDB and sqlglot.
"""

from __future__ import annotations

import argparse

from pipeline.arg_types import port, readable_lake
from pipeline.config import REPO_ROOT

DEFAULT_PORT = 8050


def add_dashboard_command(commands: argparse._SubParsersAction) -> None:
    """Register ``dashboard`` on the ``pipeline`` command's subparsers (sets ``handler``)."""
    parser = commands.add_parser(
        "dashboard", help="serve the results dashboard on http://127.0.0.1:PORT/"
    )
    parser.add_argument(
        "--lake",
        default=str(REPO_ROOT / "lake"),
        type=readable_lake,
        help="lake root folder (default: ./lake)",
    )
    parser.add_argument(
        "--port",
        type=port,
        default=DEFAULT_PORT,
        help=f"port on 127.0.0.1, 0 for any free one (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--database",
        default=None,
        help="catalog database (default: the glue_database setting, PIPELINE_GLUE_DATABASE)",
    )
    parser.set_defaults(handler=run_dashboard)


def run_dashboard(args: argparse.Namespace) -> int:
    from .server import serve

    return serve(args.lake, args.port, args.database)
