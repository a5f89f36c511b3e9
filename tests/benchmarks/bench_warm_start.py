"""LP wall time with cold, coarse and RochetNet warm starts (markdown table). Not a test.

    python tests/benchmarks/bench_warm_start.py [--quick]

The cases are the ones without symmetry (issue 16): amm2d with c = (1/4, 3/8),
the monopolist (order-2 group only) and amm2d with beta:2,5 types; on the
folded centred cases the LP takes milliseconds and no start can pay. Every solve
is the gradient form (the warm starts are its rows). Each case runs in its own subprocess. ``produce s`` is the time to make the
warm start (the k/2 solve, or training), ``solve s`` the LP solve after it;
``train s`` is the training alone.
"""

from __future__ import annotations

import json
import time

from harness import parser, run_case

SETTINGS = {"amm2d c=(1/4,3/8)": ("amm2d", {"belief": "0.25,0.375"}),
            "monopolist2d": ("monopolist2d", {}),
            "amm2d beta:2,5": ("amm2d", {"dist": "beta:2,5"})}
CASES = [(k, name, ws) for k in (64, 128) for name in SETTINGS for ws in ("none", "coarse", "rochetnet")]


def run_one(k: int, name: str, ws: str) -> dict:
    from grids import make_grid, make_setting
    from solvers import solve
    from solvers.gradient.warm_start import coarse_warm_start

    setting_name, params = SETTINGS[name]
    setting = make_setting(setting_name, **params)
    grid = make_grid(setting, k)
    t0 = time.perf_counter()
    if ws == "coarse":
        warm = coarse_warm_start(solve(setting, make_grid(setting, k // 2), form="gradient"), grid, 0.0)
    elif ws == "rochetnet":
        from neural.warm_start import rochetnet_warm_start

        warm = rochetnet_warm_start(setting, grid)
    else:
        warm = None
    produce = time.perf_counter() - t0
    t1 = time.perf_counter()
    sol = solve(setting, grid, form="gradient", warm_start=warm if warm is not None else "none")
    solve_s = time.perf_counter() - t1
    return {"k": k, "dist": name, "warm": ws, "produce_s": produce, "solve_s": solve_s,
            "train_s": (warm.info.get("train_s", 0.0) if warm else 0.0), "rows": int(len(warm.pairs_i)) if warm else 0,
            "rounds": sol.stats.rounds, "value": sol.primal.value, "status": sol.status}


def main() -> None:
    args = parser().parse_args()
    if args.one:
        print(json.dumps(run_one(*json.loads(args.one))))
        return
    print("| k | setting | warm start | produce s | (train s) | extra rows | LP solve s | total s | rounds | value |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for k, dist, ws in [c for c in CASES if c[0] == 64] if args.quick else CASES:
        r = run_case(__file__, [k, dist, ws])
        print(f"| {k} | {dist} | {ws} | {r['produce_s']:.2f} | {r['train_s']:.2f} | {r['rows']:,} | "
              f"{r['solve_s']:.2f} | {r['produce_s'] + r['solve_s']:.2f} | {r['rounds']} | {r['value']:.10f} |",
              flush=True)


if __name__ == "__main__":
    main()
