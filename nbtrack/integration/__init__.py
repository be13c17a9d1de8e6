"""Framework integrations. Each module imports its framework only when it is itself imported:

- :mod:`nbtrack.integration.watch`: ``nbtrack.watch(model)`` / ``unwatch``, gradient and parameter
  histograms of torch modules through hooks;
- :mod:`nbtrack.integration.lightning`: ``NbtrackLogger``, a Lightning ``Logger``;
- :mod:`nbtrack.integration.transformers`: ``NbtrackCallback``, a transformers ``TrainerCallback``;
- :mod:`nbtrack.integration.keras`: ``NbtrackMetricsLogger`` and ``NbtrackModelCheckpoint``.
"""
