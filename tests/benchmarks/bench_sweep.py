"""Sweep wall time, serial against the local process pool; prints markdown. Not part of the test run.

    python tests/benchmarks/bench_sweep.py          # the issue's alpha sweep at k = 64, and a heavier one
    python tests/benchmarks/bench_sweep.py --quick  # the k = 64 sweep only

Each sweep starts from an empty store, so every instance is solved.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from harness import parser

CASES = [
    ("amm2d k=64, alpha 0:0.9:0.05", "amm2d", 64, {"alpha": "0:0.9:0.05"}, {}),
    ("amm2d k=128, c=(1/4,3/8), alpha 0:0.9:0.1", "amm2d", 128, {"alpha": "0:0.9:0.1"}, {"belief": "0.25,0.375"}),
]


def main() -> None:
    from solvers import sweep

    args = parser().parse_args()
    print("| sweep | instances | executor | wall s | peak bundling gain |\n|---|---|---|---|---|")
    for label, name, k, axes, fixed in CASES[:1] if args.quick else CASES:
        for executor in ("serial", "local"):
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                res = sweep(name, k, sweep=axes, executor=executor, store=Path(tmp) / "s.sqlite", **fixed)
                wall = time.perf_counter() - t0
            gains = [(r["bundling_gain"], r["alpha"]) for r in res.records if r.get("bundling_gain") is not None]
            peak = max(gains) if gains else None
            peak_text = "-" if peak is None else f"{100 * peak[0]:.2f} % at alpha = {peak[1]:g}"
            print(f"| {label} | {len(res.records)} | {executor} | {wall:.1f} | {peak_text} |", flush=True)


if __name__ == "__main__":
    main()
