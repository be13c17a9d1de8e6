"""``nbtrack import {wandb,tensorboard,mlflow}``: parse, import with a progress bar, print the
report (exit code 1 when something could not be imported)."""

from __future__ import annotations

import argparse
from typing import Any

from nbtrack.importers.report import ImportReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sources = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    wandb = sources.add_parser("wandb", help="wandb run folders, .wandb files or a wandb server")
    wandb.add_argument("paths", nargs="*", help="run-*/offline-run-* folders, or ./wandb")
    wandb.add_argument(
        "--from-server",
        metavar="ENTITY/PROJECT",
        help="that project's runs through the wandb public API (WANDB_BASE_URL, WANDB_API_KEY)",
    )
    wandb.add_argument("--new-ids", action="store_true", help="new ids even when free")
    board = sources.add_parser("tensorboard", help="TensorBoard event files")
    board.add_argument("logdir", help="the folder TensorBoard reads (one run per subfolder)")
    mlflow = sources.add_parser("mlflow", help="an MLflow tracking store")
    mlflow.add_argument("--tracking-uri", required=True, help="e.g. sqlite:///mlflow.db")
    mlflow.add_argument("--experiment", action="append", help="only this experiment (repeat)")
    mlflow.add_argument("--new-ids", action="store_true", help="new ids even when free")
    for sub in (wandb, board, mlflow):
        _common(sub)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", help="import into this project instead of the source's")
    parser.add_argument("--dir", help="where ./nbtrack is (default: the NBTRACK_DIR setting)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be imported")
    parser.add_argument("--online", action="store_true", help="upload the new runs at once")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {
        "dir": args.dir,
        "project": args.project,
        "new_ids": getattr(args, "new_ids", False),
        "dry_run": args.dry_run,
        "online": args.online,
        "progress": not args.no_progress,
    }
    report = IMPORTERS[args.source](args, options)
    print(report)
    if not args.dry_run and not args.online and report.count("imported") + report.count("partial"):
        print("They are local runs: `nbtrack sync` uploads them (or import with --online).")
    return 0 if report.ok else 1


def _wandb(args: argparse.Namespace, options: dict[str, Any]) -> ImportReport:
    from nbtrack import importers

    if bool(args.from_server) == bool(args.paths):
        from nbtrack.errors import UsageError

        raise UsageError("Pass wandb run folders or --from-server ENTITY/PROJECT (one of the two).")
    if args.from_server:
        return importers.from_wandb(from_server=args.from_server, **options)
    return importers.from_wandb(args.paths or None, **options)


def _tensorboard(args: argparse.Namespace, options: dict[str, Any]) -> ImportReport:
    from nbtrack import importers

    return importers.from_tensorboard(args.logdir, **options)


def _mlflow(args: argparse.Namespace, options: dict[str, Any]) -> ImportReport:
    from nbtrack import importers

    return importers.from_mlflow(args.tracking_uri, args.experiment, **options)


IMPORTERS = {"wandb": _wandb, "tensorboard": _tensorboard, "mlflow": _mlflow}
