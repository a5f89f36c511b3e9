"""Neural mechanisms (DESIGN §3): RochetNet for one trader with n goods, and the
double-auction transformer (DESIGN §2).

Importing ``neural`` does not import torch; :mod:`neural.rochetnet`,
:mod:`neural.auction_net` and :mod:`neural.auction_train` do. The names below are
loaded on first use, so ``from neural import TrainConfig`` works and ``import neural``
alone stays cheap. ``grids`` and ``solvers`` never import torch at module import time.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "rochetnet": ["RochetNet", "TrainConfig", "TrainResult", "net_bound", "net_menu", "train_rochetnet"],
    "auction_net": ["AuctionTransformer", "auction_net_outcome"],
    "auction_train": ["AuctionNetConfig", "AuctionNetResult", "RegretReport", "eliminate_conflicts",
                      "evaluate_auction_net", "regret_search", "train_auction_net"],
    "warm_start": ["rochetnet_warm_start"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted([*_MODULE_OF, "require_torch"])


def require_torch(device: str = "auto", what: str = "this") -> None:
    """Refuse before any work when torch is missing, or ``device`` is cuda and torch sees no GPU.

    Raises :class:`grids.InvalidInput` (imports torch only to look).
    """
    from grids import InvalidInput

    try:
        import torch
    except ImportError as err:
        raise InvalidInput(f"{what} needs torch ({err}): pip install 'dualmech[neural]'") from None
    if device == "cuda" and not torch.cuda.is_available():
        raise InvalidInput(f"{what}: device 'cuda' asked for, but torch sees no CUDA device")


def __getattr__(name: str):
    if name in _MODULE_OF:
        return getattr(importlib.import_module(f"neural.{_MODULE_OF[name]}"), name)
    raise AttributeError(f"module 'neural' has no attribute {name!r}")
