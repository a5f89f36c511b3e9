"""Maps from free parameters onto an allocation set B, so that every parameter value is in B.

- a box [lo, hi] (per axis): a = mid + half tanh(r), r in R^n;
- any other polytope (unit demand, {a : A a <= b}): a = softmax(r) V, a convex
  combination of B's vertices V (shape (m, n)), r in R^m. Every point of B is
  such a combination, so nothing in B is out of reach.

Each map also inverts (raw parameters for given allocations in B) to start a
net from a given menu, and draws random starting allocations.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import nnls

from grids import Allocations

INSIDE = 1e-4         # a given allocation is moved this far inside B before inverting (tanh / softmax never reach the boundary)
WEIGHT_FLOOR = 1e-6   # smallest convex weight of a vertex when inverting a softmax


class BoxMap(torch.nn.Module):
    """a = mid + half tanh(r) in the box [lo, hi]."""

    def __init__(self, B: Allocations, dtype: torch.dtype) -> None:
        super().__init__()
        lo, hi = B.lower, B.upper
        self.register_buffer("centre", torch.as_tensor((hi + lo) / 2, dtype=dtype))
        self.register_buffer("radius", torch.as_tensor((hi - lo) / 2, dtype=dtype))
        self.raw_size = B.n

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        return self.centre + self.radius * torch.tanh(raw)

    def numpy(self, raw: np.ndarray) -> np.ndarray:
        """The float64 allocations of float64 raw parameters."""
        return self.centre.double().cpu().numpy() + self.radius.double().cpu().numpy() * np.tanh(raw)

    def inverse(self, alloc: np.ndarray) -> np.ndarray:
        mid, half = self.centre.double().cpu().numpy(), self.radius.double().cpu().numpy()
        return np.arctanh(np.clip((np.asarray(alloc) - mid) / half, -1 + INSIDE, 1 - INSIDE))

    def random(self, rng: np.random.Generator, count: int, scale: float) -> np.ndarray:
        """Allocations mid + half tanh(N(0, scale^2)), shape (count, n)."""
        return self.numpy(scale * rng.standard_normal((count, self.raw_size)))


class VertexMap(torch.nn.Module):
    """a = softmax(r) V: convex combinations of the vertices V of B."""

    def __init__(self, B: Allocations, dtype: torch.dtype) -> None:
        super().__init__()
        self.register_buffer("V", torch.as_tensor(B.vertices, dtype=dtype))
        self.raw_size = len(B.vertices)

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        return torch.softmax(raw, dim=-1) @ self.V

    def numpy(self, raw: np.ndarray) -> np.ndarray:
        w = np.exp(raw - raw.max(axis=-1, keepdims=True))
        return (w / w.sum(axis=-1, keepdims=True)) @ self.V.double().cpu().numpy()

    def inverse(self, alloc: np.ndarray) -> np.ndarray:
        """log of convex weights w >= WEIGHT_FLOOR with w V ~ a (nonnegative least squares, sum 1 as a row)."""
        V = self.V.double().cpu().numpy()
        centre = V.mean(axis=0)
        system = np.vstack([V.T, np.ones(len(V))])
        out = np.empty((len(alloc), len(V)))
        for row, a in enumerate(np.asarray(alloc, dtype=np.float64)):
            a = centre + (1 - INSIDE) * (a - centre)  # strictly inside: every weight can stay positive
            w, _ = nnls(system, np.append(a, 1.0))
            w = np.maximum(w, WEIGHT_FLOOR)
            out[row] = np.log(w / w.sum())
        return out

    def random(self, rng: np.random.Generator, count: int, scale: float) -> np.ndarray:
        """softmax(N(0, scale^2)) V: random points of B, shape (count, n)."""
        return self.numpy(scale * rng.standard_normal((count, self.raw_size)))


def allocation_map(B: Allocations, dtype: torch.dtype = torch.float32) -> BoxMap | VertexMap:
    """The map for B: :class:`BoxMap` for a box, :class:`VertexMap` for any other polytope."""
    return BoxMap(B, dtype) if B.is_box else VertexMap(B, dtype)
