"""What an import did: one entry per source run, and a printable summary."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class RunImport:
    """One source run: what became of it."""

    source: str  # where it came from (a folder, a file, an MLflow run id)
    status: str  # imported, partial, skipped (imported before), planned (--dry-run), failed
    run_id: str | None = None
    name: str | None = None
    path: str | None = None  # the nbtrack run folder
    rows: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ImportReport:
    """Returned by ``nbtrack.importers.from_*``; ``str(report)`` is the CLI's final report."""

    kind: str
    runs: list[RunImport] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)  # sources not read at all

    def count(self, status: str) -> int:
        return sum(1 for run in self.runs if run.status == status)

    @property
    def ok(self) -> bool:
        return not self.problems and self.count("failed") == 0

    def lines(self) -> list[str]:
        out = [_line(run) for run in self.runs]
        out += [f"could not read: {problem}" for problem in self.problems]
        totals = ", ".join(
            f"{self.count(s)} {s}"
            for s in ("imported", "partial", "skipped", "planned", "failed")
            if self.count(s)
        )
        out.append(f"{self.kind}: {totals or 'nothing found'}.")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _line(run: RunImport) -> str:
    where = f" -> {run.run_id} ({run.name}), {run.rows} steps" if run.run_id else ""
    if run.status == "skipped":
        where = f": imported before as {run.run_id}"
    elif run.status == "planned":
        where = f" -> {run.name or run.run_id}"
    text = f"{run.status} {run.source}{where}"
    for problem in run.problems[:10]:
        text += f"\n    {problem}"
    if len(run.problems) > 10:
        text += f"\n    ... and {len(run.problems) - 10} more"
    return text
