"""LP backends by name.

- ``highs`` (default): HiGHS dual simplex, exact vertex solutions, basis warm starts.
- ``scs``: cvxpy + SCS, a first-order conic solver.
- ``pdlp``: HiGHS's PDLP (cuPDLP-C) on the CPU, a first-order LP solver.
- ``cupdlpx``: cuPDLPx on an NVIDIA GPU (optional package ``cupdlpx``).

First-order backends set ``first_order = True``: their answers violate rows by
about their tolerance, so the primal is repaired before it is certified.
"""

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


def _pdlp(options: BackendOptions) -> Backend:
    from solvers.backends.pdlp import PdlpBackend

    return PdlpBackend(options)


CUPDLPX_NEEDS = "solver 'cupdlpx' needs the cupdlpx package and an NVIDIA GPU with CUDA 12.4+"


def _package_missing(err: ImportError, package: str) -> bool:
    """Whether ``err`` says that ``package`` itself is not installed (not a module it imports)."""
    return isinstance(err, ModuleNotFoundError) and err.name == package


def _require_cupdlpx() -> None:
    """Refuse with InvalidInput unless cupdlpx imports: "not installed" and "broken" are told apart.

    Not installed: the import of the package itself finds no module. Broken: the package is
    there but its import fails inside it (a missing submodule or dependency, CUDA libraries that
    do not load: ImportError, OSError, RuntimeError, ...); the message carries that error.
    """
    from solvers.backends.cupdlpx import import_cupdlpx

    try:
        import_cupdlpx()
    except ImportError as err:
        if _package_missing(err, "cupdlpx"):
            raise InvalidInput(f"{CUPDLPX_NEEDS}; it is not installed here (pip install cupdlpx)") from None
        raise InvalidInput(_broken(err)) from err
    except Exception as err:  # OSError/RuntimeError from CUDA libraries that do not load
        raise InvalidInput(_broken(err)) from err


def _broken(err: BaseException) -> str:
    return (f"{CUPDLPX_NEEDS}; it is installed but broken here, its import fails with "
            f"{type(err).__name__}: {err}")


def _cupdlpx(options: BackendOptions) -> Backend:
    from solvers.backends.cupdlpx import CupdlpxBackend

    _require_cupdlpx()
    return CupdlpxBackend(options)


BACKENDS: dict[str, Callable[[BackendOptions], Backend]] = {
    "highs": _highs, "scs": _scs, "pdlp": _pdlp, "cupdlpx": _cupdlpx,
}


_REQUIREMENTS: dict[str, Callable[[], None]] = {"cupdlpx": _require_cupdlpx}


def require_backend(name: str) -> None:
    """Raise InvalidInput unless ``name`` is registered and usable here; cheap, for input validation."""
    if name not in BACKENDS:
        raise InvalidInput(f"unknown solver {name!r}; known solvers: {', '.join(BACKENDS)}")
    _REQUIREMENTS.get(name, lambda: None)()


def make_backend(name: str, options: BackendOptions) -> Backend:
    """The backend registered under ``name``; unknown or unusable names raise InvalidInput."""
    require_backend(name)
    return BACKENDS[name](options)


__all__ = ["BACKENDS", "Backend", "BackendOptions", "BackendResult", "make_backend", "require_backend"]
