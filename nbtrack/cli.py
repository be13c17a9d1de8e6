"""The ``nbtrack`` command: a thin dispatcher; each sub-command lives with its concept."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from nbtrack.errors import NbtrackError

# sub-command -> module with ``add_arguments(parser)`` and ``run(args) -> int``
COMMANDS: dict[str, tuple[str, str]] = {
    "server": ("nbtrack.server.cli", "Run the self-hosted tracking server."),
    "admin": (
        "nbtrack.server.accounts.admin",
        "Manage users, teams, API keys and projects of a server.",
    ),
    "demo": ("nbtrack.demo", "Start a local server, log an example run and print its link."),
    "login": ("nbtrack.account", "Store an API key for a server (checked against it first)."),
    "logout": ("nbtrack.account", "Forget the API key stored for a server."),
    "sync": ("nbtrack.syncing", "Upload offline runs, and runs an outage left behind."),
    "import": ("nbtrack.importers.cli", "Import runs from wandb, TensorBoard or MLflow."),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nbtrack", description="Jupyter-first experiment tracking."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        _load(module_name).add_arguments(sub)
    return parser


def _load(module_name: str) -> Any:
    return importlib.import_module(module_name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from nbtrack import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    module = _load(args._module)
    try:
        code: int = module.run(args)
    except (NbtrackError, ValueError) as exc:  # a user's mistake: the message, not a traceback
        print(f"nbtrack {args.command}: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
