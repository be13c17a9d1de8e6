"""Every exception nbtrack raises on purpose, each with a message that says the fix.

    NbtrackError (also nbtrack.Error and nbtrack.errors.Error, wandb's name for it)
    ├── UsageError            (also a ValueError: bad argument or call order)
    │   ├── NotInitialized    (module-level call before nbtrack.init())
    │   ├── RunFinished       (log/save on a finished run)
    │   ├── ConfigError       (a config value changed without allow_val_change=True)
    │   └── UnsupportedError  (nbtrack.require() with a feature nbtrack does not know)
    ├── ResumeError           (resume="must" with no such run, resume="never" with an existing one)
    ├── RunLogError           (a run log that cannot be read: newer format, not a run directory)
    ├── CommError             (the server could not be reached or answered garbage)
    │   └── ServerError       (the server answered with an error of its own)
    └── LaunchError           (init() online: the server said no)
        ├── NotLoggedIn       (no key or a bad key: run `nbtrack login`)
        ├── EntityNotFound    (the entity does not exist)
        └── PermissionDenied  (no permission to write to the project)

Bad values passed to ``log`` raise the builtin ``TypeError``/``ValueError`` with the key named.
"""

from __future__ import annotations


class NbtrackError(Exception):
    """Base class of nbtrack's own exceptions."""


class UsageError(NbtrackError, ValueError):
    """An argument or a call order nbtrack cannot accept."""


Error = NbtrackError


class ConfigError(UsageError):
    """A config key's value changed without ``allow_val_change=True``."""


class UnsupportedError(UsageError):
    """A wandb feature flag (``nbtrack.require``) nbtrack does not know."""


class NotInitialized(UsageError):
    def __init__(self, function: str) -> None:
        super().__init__(f"Call nbtrack.init() before nbtrack.{function}().")
        self.function = function


class RunFinished(UsageError):
    def __init__(self, run_id: str, action: str) -> None:
        super().__init__(
            f"Run {run_id} is finished, so it cannot {action}. "
            "Start a new run with nbtrack.init(), or resume this one with "
            f'nbtrack.init(id="{run_id}", resume="allow").'
        )
        self.run_id = run_id


class ResumeError(NbtrackError):
    """resume= could not be honoured."""


class RunLogError(NbtrackError):
    """A run directory or run log that cannot be read."""


class CommError(NbtrackError):
    """The server could not be reached, or its answer could not be understood."""


class ServerError(CommError):
    def __init__(
        self, status: int, code: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{message} (HTTP {status}, {code})")
        self.status = status
        self.code = code
        self.server_message = message
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After)

    @property
    def retryable(self) -> bool:
        """True when sending the same request later may succeed (timeouts, overload, 5xx)."""
        return self.status >= 500 or self.status in (408, 409, 429)


class LaunchError(NbtrackError):
    """init() in online mode: the server refused the run (or, ``launch=False``, the key)."""

    def __init__(self, message: str, *, launch: bool = True) -> None:
        super().__init__(f"Launch exception: {message}" if launch else message)
        self.reason = message


class NotLoggedIn(LaunchError):
    """No API key, or one the server does not know."""


class EntityNotFound(LaunchError):
    """The entity (user or team) does not exist on the server."""


class PermissionDenied(LaunchError):
    """The key's user may not write to this project."""


__all__ = [
    "CommError",
    "ConfigError",
    "EntityNotFound",
    "Error",
    "LaunchError",
    "NbtrackError",
    "NotInitialized",
    "NotLoggedIn",
    "PermissionDenied",
    "ResumeError",
    "RunFinished",
    "RunLogError",
    "ServerError",
    "UnsupportedError",
    "UsageError",
]
