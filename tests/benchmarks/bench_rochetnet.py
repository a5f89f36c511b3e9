"""RochetNet training speed on amm2d (alpha 0 and 0.5) against the k = 64 LP menu. Not in the test run.

    python tests/benchmarks/bench_rochetnet.py             # all configurations, both alphas
    python tests/benchmarks/bench_rochetnet.py --quick     # defaults only (random and LP init)

Every ``eval_every`` steps a callback (its time excluded from the training clock)
evaluates the current net with the hard max (never the softmax objective, which
overstates profit) twice: on one fresh sample of 2^20 i.i.d. types never seen in
training (standard error ~0.07% of the profit, shared by all checkpoints), and exactly,
with the evaluator of LP menus (``evaluate_menu`` on all K items; ~0.1 s). At the end the
returned menu's exact profit is :func:`neural.rochetnet.net_bound`. Ratios are against
``solvers.solve("amm2d", 64, alpha=...).menu_profit().value``.

Seconds are training wall time (``TrainResult.history``: the
one-time torch warm-up before the first run excluded and printed separately). Other
processes sharing the CPU inflate them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: neural/ beside solvers/

# name -> TrainConfig overrides; each is run for both alphas.
CONFIGS = {
    "random init, defaults (K=1024)": {},
    "random init, K=256": {"menu_size": 256},
    "random init, 5000 steps": {"steps": 5000},
    "random init, T=100 constant (no annealing)": {"temperature_final": None},
    "LP init (k=16), lr 0.005, T 300->3000": {"init": "lp", "lr": 0.005, "temperature": 300.0,
                                              "temperature_final": 3000.0},
    "LP init (k=16), defaults": {"init": "lp"},
    "slow baseline: T=100 and lr 1e-3 constant, batch 2^15, 60 s cap": {
        "temperature_final": None, "lr": 1e-3, "lr_schedule": "constant", "batch_size": 2**15,
        "steps": 100_000, "patience": 0, "time_limit": 60.0},
}
QUICK = ["random init, defaults (K=1024)", "LP init (k=16), lr 0.005, T 300->3000"]
SAMPLE_LOG2 = 20


def run(alpha: float, name: str, overrides: dict, lp_value: float, eval_every: int) -> dict:
    import torch

    from grids import make_setting
    from neural.rochetnet import TrainConfig, net_bound, train_rochetnet
    from solvers.menu_profit import evaluate_menu

    setting = make_setting("amm2d", alpha=alpha)
    cfg = TrainConfig(**{"eval_every": eval_every, **overrides})
    x = torch.as_tensor(np.random.default_rng(2024).random((2**SAMPLE_LOG2, 2)), dtype=torch.float32)
    c = torch.as_tensor(setting.c, dtype=torch.float32)
    phi = c + alpha * (x - c)
    curve = []

    def callback(step, seconds, net):
        prof = net.profits(x, phi)
        exact = evaluate_menu(setting, *net.menu()).value
        curve.append((step, seconds, float(prof.mean()) / lp_value, float(prof.std()) / len(prof) ** 0.5 / lp_value,
                      exact / lp_value))

    init_menu = None
    if cfg.init == "lp":  # the k = 16 LP menu, solved here: neural/ never calls the solver
        from solvers import solve

        menu = solve(setting, 16).menu()
        init_menu = (menu.allocations, menu.prices)
    res = train_rochetnet(setting, cfg, init_menu=init_menu, progress=False, callback=callback)
    t0 = time.perf_counter()
    bound = net_bound(setting, res)
    exact_s = time.perf_counter() - t0

    def reach(frac, col):
        return next((c[1] for c in curve if c[col] >= frac), None)

    best = next(c for c in curve if c[0] == res.best_step)
    return {"alpha": alpha, "config": name, "lp_menu_profit": lp_value, "train_s": res.train_seconds,
            "init_s": res.init_seconds, "steps": res.history[-1][0], "best_step": res.best_step,
            "t99": reach(0.99, 4), "t995": reach(0.995, 4), "t99_fresh": reach(0.99, 2), "t995_fresh": reach(0.995, 2),
            "best_fresh": best[2], "best_fresh_se": best[3],
            "exact": bound.value, "exact_ratio": bound.value / lp_value, "items": int((bound.masses > 0).sum()),
            "exact_s": exact_s, "curve": curve}


def fmt(t):
    return "never" if t is None else f"{t:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--alphas", default="0,0.5")
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--json", help="write all results (curves included) to this file")
    ap.add_argument("--only", help="run only the configurations whose name contains this")
    args = ap.parse_args()
    t0 = time.perf_counter()
    import torch

    from grids import make_setting
    from neural.rochetnet import TrainConfig, train_rochetnet
    from solvers import solve

    train_rochetnet(make_setting("amm1d"), TrainConfig(menu_size=8, steps=2, device="cpu"), progress=False)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads; training uses TrainConfig.threads = "
          f"{TrainConfig().threads}); one-time import and warm-up "
          f"{time.perf_counter() - t0:.1f} s (not counted below)\n", file=sys.stderr)
    names = QUICK if args.quick else [n for n in CONFIGS if args.only is None or args.only in n]
    results = []
    for alpha in (float(a) for a in args.alphas.split(",")):
        lp_value = solve("amm2d", 64, alpha=alpha).menu_profit().value
        for name in names:
            r = run(alpha, name, CONFIGS[name], lp_value, args.eval_every)
            results.append(r)
            print(f"alpha={alpha} {name}: train {r['train_s']:.1f} s, exact {r['exact_ratio']:.5f}", file=sys.stderr)
    print("| alpha | config | s to 99% / 99.5%, exact | s to 99% / 99.5%, fresh sample | train s (steps) | "
          "returned net: fresh-sample ratio | exact ratio (net_bound) | items |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['alpha']:g} | {r['config']} | {fmt(r['t99'])} / {fmt(r['t995'])} | {fmt(r['t99_fresh'])} / "
              f"{fmt(r['t995_fresh'])} | {r['train_s']:.1f} ({r['steps']}) | {r['best_fresh']:.5f} ± "
              f"{r['best_fresh_se']:.5f} | {r['exact_ratio']:.5f} | {r['items']} |")
    print("\nCurves (seconds: exact ratio / fresh-sample ratio, both hard max, against the LP menu profit):")
    for r in results:
        pts = r["curve"]
        pick = sorted(set(np.unique(np.geomspace(1, len(pts), 12).astype(int) - 1).tolist() + [0, len(pts) - 1]))
        print(f"- alpha {r['alpha']:g}, {r['config']}: "
              + ", ".join(f"{pts[i][1]:.1f}: {pts[i][4]:.4f} / {pts[i][2]:.4f}" for i in pick))
    print("\nLP menu profit (k = 64): " + ", ".join(f"alpha {r['alpha']:g}: {r['lp_menu_profit']:.6f}"
                                                    for r in results if r["config"] == names[0]))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
