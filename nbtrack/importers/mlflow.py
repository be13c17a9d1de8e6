"""``nbtrack import mlflow --tracking-uri URI [--experiment NAME...]``: MLflow runs as nbtrack runs.

Per run: params become the config (as MLflow holds them, strings), every metric's history
becomes history rows (one per step, the values of every metric at that step; ``_timestamp`` is
the step's first MLflow timestamp, ``_runtime`` counts from the run's start), the run name and
id are kept, the status gives the state (``FINISHED`` finished, ``FAILED`` failed, ``KILLED``
killed, a run still ``RUNNING`` imports as crashed), start and end times are kept, user tags
become nbtrack tags (``key:value``) and every tag is kept in ``metadata["mlflow"]["tags"]``
(``mlflow.note.content`` is the notes), and the artifacts become the run's files. The project is
``--project`` or the experiment's name. Uses the MLflow client (``mlflow-skinny``, the
``import-mlflow`` extra).
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nbtrack.errors import UsageError
from nbtrack.importers import fingerprint
from nbtrack.importers.driver import Options, SourceRun, run_all
from nbtrack.importers.report import ImportReport
from nbtrack.importers.writer import RunWriter

STATES = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed"}
NOTE = "mlflow.note.content"


def client(tracking_uri: str) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise UsageError(
            f"Importing from MLflow needs its client: pip install 'nbtrack[import-mlflow]' ({exc})"
        ) from None
    return MlflowClient(tracking_uri=tracking_uri)


def from_mlflow(tracking_uri: str, experiments: list[str] | None, **options: Any) -> ImportReport:
    with warnings.catch_warnings():  # MLflow's own deprecations (SQLAlchemy's) are not the user's
        warnings.simplefilter("ignore", DeprecationWarning)
        return _import(tracking_uri, experiments, options)


def _import(tracking_uri: str, experiments: list[str] | None, options: Any) -> ImportReport:
    mlflow = client(tracking_uri)
    settings = Options(**options)
    problems: list[str] = []
    chosen = _experiments(mlflow, experiments, problems)
    sources = (_source(mlflow, exp, run, settings) for exp in chosen for run in _runs(mlflow, exp))
    report = run_all("mlflow", sources, settings)
    report.problems += problems
    return report


def _experiments(mlflow: Any, names: list[str] | None, problems: list[str]) -> list[Any]:
    if not names:
        return list(mlflow.search_experiments())
    found = []
    for name in names:
        experiment = mlflow.get_experiment_by_name(name)
        if experiment is None:
            problems.append(f"no MLflow experiment named {name!r}")
        else:
            found.append(experiment)
    return found


def _runs(mlflow: Any, experiment: Any) -> Iterator[Any]:
    token = None
    while True:
        page = mlflow.search_runs([experiment.experiment_id], page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def _source(mlflow: Any, experiment: Any, run: Any, settings: Options) -> SourceRun:
    info = run.info
    stamp = fingerprint.of_parts("mlflow", info.run_id, info.status, info.end_time)
    tags = run.data.tags
    fields: dict[str, Any] = {"id": info.run_id, "project": experiment.name}
    fields.update(name=info.run_name or info.run_id, created_at=info.start_time / 1000)
    fields["tags"] = [f"{k}:{v}" for k, v in sorted(tags.items()) if not k.startswith("mlflow.")]
    if tags.get(NOTE):
        fields["notes"] = tags[NOTE]
    label = f"{experiment.name}/{info.run_id}"
    return SourceRun(label, stamp, fields, lambda w: MlflowRun(mlflow, run, w).read())


class MlflowRun:
    def __init__(self, mlflow: Any, run: Any, writer: RunWriter) -> None:
        self.mlflow, self.run, self.writer = mlflow, run, writer
        self.start = run.info.start_time / 1000

    def read(self) -> str:
        info = self.run.info
        self.writer.add_config(dict(self.run.data.params))
        about = {"run_id": info.run_id, "experiment_id": info.experiment_id}
        about.update(status=info.status, user=info.user_id, artifact_uri=info.artifact_uri)
        about.update(tags=dict(self.run.data.tags), end_time=info.end_time)
        self.writer.add_meta(mlflow=about)
        self._history()
        self._artifacts()
        state = STATES.get(info.status, "crashed")
        if info.end_time:
            self.writer.runtime = max(self.writer.runtime, info.end_time / 1000 - self.start)
        return state

    def _history(self) -> None:
        points = []
        for key in sorted(self.run.data.metrics):
            for metric in self.mlflow.get_metric_history(self.run.info.run_id, key):
                points.append((metric.step, metric.timestamp, key, metric.value))
        points.sort()
        row: dict[str, Any] | None = None
        for step, stamp, key, value in points:
            if row is None or row["_step"] != step:
                if row is not None:
                    self.writer.add_row(row)
                at = stamp / 1000
                row = {"_step": step, "_runtime": at - self.start, "_timestamp": at}
            row[key] = value
        if row is not None:
            self.writer.add_row(row)

    def _artifacts(self) -> None:
        run_id = self.run.info.run_id
        with tempfile.TemporaryDirectory(prefix="nbtrack-mlflow-") as temp:
            try:
                local = Path(self.mlflow.download_artifacts(run_id, "", temp))
            except Exception as exc:  # an artifact store out of reach: the rest is imported
                self.writer.problems.append(f"artifacts not copied: {type(exc).__name__}: {exc}")
                return
            for path in sorted(local.rglob("*")):
                if path.is_file():
                    self.writer.copy_file(path.relative_to(local).as_posix(), path)
