"""nbtrack: Jupyter-first experiment tracking."""

__version__ = "0.1.0"
