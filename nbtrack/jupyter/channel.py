"""The ``nbtrack`` comm: how the JupyterLab extension tells the kernel about its notebook.

Either side may open it. On load the kernel opens a comm with target ``nbtrack`` and data
``{"type": "hello", "protocol": 1}``; it also registers the target ``nbtrack`` so a frontend can
open one itself. On either comm the frontend sends (in the open message or later)::

    {"type": "notebook", "path": "<path relative to the server root>", "root": "<server root>"}

The kernel answers each message with ``{"type": "ack", "path": "<absolute path or null>"}`` or
``{"type": "error", "message": "..."}``. See docs/jupyter-comm.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TARGET = "nbtrack"
PROTOCOL = 1


class NotebookChannel:
    """Holds the last notebook announcement; calls ``on_notebook`` when one arrives."""

    def __init__(self, on_notebook: Callable[[dict[str, str]], str | None]) -> None:
        self.announced: dict[str, str] | None = None
        self._on_notebook = on_notebook
        self._manager: Any = None
        self._comm: Any = None

    def register(self) -> bool:
        """Register the comm target with the kernel's comm manager (False outside a kernel)."""
        try:
            import comm

            manager = comm.get_comm_manager()
            manager.register_target(TARGET, self._opened)
        except Exception:
            return False
        self._manager = manager
        self._open()
        return True

    def _open(self) -> None:
        """Offer the comm to the frontend; without the JupyterLab extension nobody answers."""
        import comm

        opened = comm.create_comm(target_name=TARGET, data={"type": "hello", "protocol": PROTOCOL})
        opened.on_msg(lambda msg: self.receive(opened, msg))
        self._comm = opened

    def unregister(self) -> None:
        if self._manager is not None and self._manager.targets.get(TARGET) == self._opened:
            self._manager.unregister_target(TARGET, self._opened)
        self._manager = None
        if self._comm is not None:
            self._comm.close()
            self._comm = None

    def _opened(self, comm: Any, message: dict[str, Any]) -> None:
        comm.on_msg(lambda msg: self.receive(comm, msg))
        if (message.get("content") or {}).get("data"):
            self.receive(comm, message)

    def receive(self, comm: Any, message: dict[str, Any]) -> None:
        data = (message.get("content") or {}).get("data") or {}
        try:
            from nbtrack.jupyter import labcomm  # the JupyterLab extension's other requests

            lab = data.get("type") in labcomm.TYPES
            comm.send(labcomm.receive(comm, data) if lab else self.handle(data))
        except Exception as exc:
            comm.send({"type": "error", "message": repr(exc)})

    def handle(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("type") != "notebook":
            return {"type": "error", "message": f"unknown message type {data.get('type')!r}"}
        path, root = data.get("path"), data.get("root")
        if not isinstance(path, str) or not path or not isinstance(root, str | None):
            return {"type": "error", "message": "a notebook message needs a string 'path'"}
        self.announced = {"path": path, "root": root or ""}
        found = self._on_notebook(self.announced)
        return {"type": "ack", "path": found}
