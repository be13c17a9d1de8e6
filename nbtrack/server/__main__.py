"""``python -m nbtrack.server``: the same as ``nbtrack server``."""

from __future__ import annotations

import argparse
import sys

from nbtrack.server import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nbtrack server", description="Run the tracking server.")
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
