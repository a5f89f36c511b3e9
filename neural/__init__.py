"""Neural mechanisms (DESIGN §3): RochetNet for one trader with n goods.

Importing ``neural`` does not import torch; :mod:`neural.rochetnet` does. The
names below are loaded on first use, so ``from neural import TrainConfig``
works and ``import neural`` alone stays cheap. ``grids`` and ``solvers`` never
import torch at module import time.
"""

from __future__ import annotations

__all__ = ["RochetNet", "TrainConfig", "TrainResult", "net_bound", "net_menu", "train_rochetnet"]


def __getattr__(name: str):
    if name in __all__:
        from neural import rochetnet

        return getattr(rochetnet, name)
    raise AttributeError(f"module 'neural' has no attribute {name!r}")
