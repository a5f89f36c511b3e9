"""Training progress on stderr: one tqdm bar with the step count, the time budget and the latest figures."""

from __future__ import annotations

import math
import sys
from typing import Callable

from tqdm import tqdm


def training_bar(desc: str, total: int, time_limit: float, enabled: bool) -> Callable[..., None]:
    """A function ``show(step, seconds, **figures)`` that moves a bar to ``step``; ``show(None, ...)`` closes it.

    The bar's label names the time budget (``time_limit`` seconds, or "no time
    limit"), so a long run says up front when it will stop at the latest.
    Disabled, it does nothing.
    """
    if not enabled:
        return lambda *args, **kwargs: None
    budget = "no time limit" if math.isinf(time_limit) else f"budget {time_limit:g} s"
    bar = tqdm(total=total, desc=f"{desc} ({budget})", file=sys.stderr, leave=False, unit="step")

    def show(step: int | None, seconds: float = 0.0, **figures: float) -> None:
        if step is None:
            bar.close()
            return
        bar.update(step - bar.n)
        bar.set_postfix({name: f"{value:.4g}" for name, value in figures.items()}, refresh=True)
    return show
