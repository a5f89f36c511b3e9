"""LP backends by name: ``highs`` (default, dual simplex) and ``scs`` (cvxpy + SCS)."""

from __future__ import annotations

from typing import Callable

from grids import InvalidInput
from solvers.backends.base import Backend, BackendOptions, BackendResult


def _highs(options: BackendOptions) -> Backend:
    from solvers.backends.highs import HighsBackend

    return HighsBackend(options)


def _scs(options: BackendOptions) -> Backend:
    from solvers.backends.scs import ScsBackend

    return ScsBackend(options)


BACKENDS: dict[str, Callable[[BackendOptions], Backend]] = {"highs": _highs, "scs": _scs}


def make_backend(name: str, options: BackendOptions) -> Backend:
    """The backend registered under ``name``; unknown names list the known ones."""
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise InvalidInput(f"unknown solver {name!r}; known solvers: {', '.join(BACKENDS)}") from None
    return factory(options)


__all__ = ["BACKENDS", "Backend", "BackendOptions", "BackendResult", "make_backend"]
