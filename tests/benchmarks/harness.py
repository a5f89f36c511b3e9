"""Shared plumbing of the benchmark scripts: one case per subprocess, JSON back."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np


def parser() -> argparse.ArgumentParser:
    """--quick for small cases; the hidden --one runs a single case in this process."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    return ap


def run_case(script: str, payload: list) -> dict:
    """Run ``script --one payload`` in a fresh interpreter (its own peak memory) and parse its JSON."""
    out = subprocess.run([sys.executable, script, "--one", json.dumps(payload)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def correlated_trades(path: Path, size: int = 100_000, seed: int = 0) -> Path:
    """``size`` trades in [0,1]^2 saved as .npy: a bivariate normal, mean (0.45, 0.4),
    covariance [[0.04, 0.02], [0.02, 0.03]], truncated to the box (the first ``size``
    draws inside it, drawn with ``seed``). The benchmarks' sample without symmetry."""
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal([0.45, 0.4], [[0.04, 0.02], [0.02, 0.03]], size=2 * size)
    inside = draws[np.all((draws >= 0) & (draws <= 1), axis=1)][:size]
    if len(inside) < size:
        raise RuntimeError(f"only {len(inside)} of {2 * size} draws fell in the box")
    np.save(path, inside)
    return path
