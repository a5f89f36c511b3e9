"""A RochetNet warm start for the gradient-form LP, built as data for solvers/ to consume."""

from __future__ import annotations

import time

from grids import Grid, Setting
from neural.rochetnet import TrainConfig, net_menu, train_rochetnet
from solvers.gradient.warm_start import menu_warm_start
from solvers.solution import WarmStart


def rochetnet_warm_start(setting: Setting, grid: Grid, config: TrainConfig | None = None, *,
                         progress: bool = False) -> WarmStart:
    """Train a RochetNet on ``setting``; the local pair rows tight for its menu's utility on ``grid``.

    Pass the result as ``solvers.solve(..., warm_start=...)``; ``seconds``
    counts the training, ``info["train_s"]`` the training alone.
    """
    t0 = time.perf_counter()
    result = train_rochetnet(setting, config or TrainConfig(), progress=progress)
    alloc, prices = net_menu(result)
    return menu_warm_start("rochetnet", grid, alloc, prices, time.perf_counter() - t0,
                           {"train_s": result.train_seconds, "device": result.device})
