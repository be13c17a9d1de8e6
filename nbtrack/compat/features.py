"""``nbtrack.require(...)``: wandb's feature flags, accepted where nbtrack already behaves so."""

from __future__ import annotations

from collections.abc import Iterable

from nbtrack.errors import UnsupportedError

KNOWN = frozenset({"core", "service", "require"})  # wandb's; nbtrack has one behaviour for each


def require(
    requirement: str | Iterable[str] | None = None, experiment: str | Iterable[str] | None = None
) -> None:
    """Accept wandb's known feature names (``"core"``, ``"service"``, versions such as
    ``"service@beta"`` included); an unknown one raises :class:`~nbtrack.errors.UnsupportedError`.
    """
    wanted = requirement or experiment
    if not wanted:
        return
    for item in [wanted] if isinstance(wanted, str) else list(wanted):
        feature = str(item).split("@", 1)[0].split(":", 1)[0]
        if feature not in KNOWN:
            raise UnsupportedError(
                f"require({item!r}): unknown feature {feature!r}; nbtrack knows "
                f"{', '.join(sorted(KNOWN))} (wandb's names). Remove the call, or check the name."
            )
