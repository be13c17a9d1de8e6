"""Build hook: vendor the web UI's browser libraries (uPlot, from npm) into the server package.

``nbtrack/server/frontend`` holds package.json and package-lock.json; this runs ``npm ci`` there
when needed and copies the dist files to ``nbtrack/server/static/vendor/`` (build output),
then includes them in the wheel. Run ``python hatch_build.py`` to do the same in a checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

FRONTEND = Path("nbtrack/server/frontend")
VENDOR = Path("nbtrack/server/static/vendor")
FILES = {
    "uplot/dist/uPlot.iife.min.js": "uPlot.iife.min.js",
    "uplot/dist/uPlot.min.css": "uPlot.min.css",
    "uplot/LICENSE": "uPlot.LICENSE.txt",
}


def vendor(root: Path) -> list[Path]:
    """Copy the vendored files into the package (installing them with npm first if needed)."""
    modules = root / FRONTEND / "node_modules"
    if not all((modules / source).is_file() for source in FILES):
        npm = shutil.which("npm")
        if npm is None:
            if all((root / VENDOR / name).is_file() for name in FILES.values()):
                return [root / VENDOR / name for name in FILES.values()]
            raise RuntimeError(
                "Building nbtrack needs npm (Node.js) to fetch uPlot for the web UI."
            )
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=root / FRONTEND, check=True
        )
    (root / VENDOR).mkdir(parents=True, exist_ok=True)
    copied = []
    for source, name in FILES.items():
        shutil.copyfile(modules / source, root / VENDOR / name)
        copied.append(root / VENDOR / name)
    return copied


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script without hatchling
    BuildHookInterface = object  # type: ignore[assignment,misc]


class VendorHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        copied = vendor(root)
        if version == "editable":
            return  # an editable install serves the files from the source tree
        for path in copied:
            build_data["force_include"][str(path)] = str(path.relative_to(root))


if __name__ == "__main__":
    for path in vendor(Path(__file__).resolve().parent):
        print(f"vendored {path}")
    sys.exit(0)
