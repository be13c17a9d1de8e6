"""wandb code run with nbtrack in its place prints what it prints with wandb 0.31.0.

Each ``tests/data/wandb_snippets/<name>.py`` is plain wandb code (``import wandb``); its
``<name>.out`` is what it printed under wandb 0.31.0, recorded once, offline:
``WANDB_MODE=offline WANDB_SILENT=true python <name>.py > <name>.out`` (in a virtual environment
with ``wandb==0.31.0`` and numpy; wandb is not a test dependency). Here ``wandb`` is nbtrack,
run with the same ``WANDB_*`` variables. The snippets follow wandb's documentation: config styles,
``define_metric``, summary, run attributes, reinit loops, resume, ``save``, alerts, environment
variables, disabled mode, errors. Reading runs back (``wandb.Api``) needs wandb's service, so it
has no recorded answer here; ``tests/api`` covers it against nbtrack's server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SNIPPETS = Path(__file__).parent / "data" / "wandb_snippets"
AS_WANDB = (
    "import runpy, sys, nbtrack, nbtrack.errors, nbtrack.util\n"
    "sys.modules['wandb'] = nbtrack\n"
    "runpy.run_path(sys.argv[1], run_name='__main__')\n"
)


@pytest.mark.parametrize("name", sorted(p.stem for p in SNIPPETS.glob("*.py")))
def test_snippet_prints_what_wandb_prints(name: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NBTRACK_MODE", "NBTRACK_SILENT")}
    env |= {"WANDB_MODE": "offline", "WANDB_SILENT": "true"}  # as wandb ran: the twins apply
    env["NBTRACK_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", AS_WANDB, str(SNIPPETS / f"{name}.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (SNIPPETS / f"{name}.out").read_text()
