"""Benchmark of gradient-form solves; prints a markdown table. Not part of the test run.

    python tests/benchmarks/bench_solve.py            # the issue's table
    python tests/benchmarks/bench_solve.py --quick    # small cases only

Each case runs in a fresh subprocess so its peak memory (ru_maxrss) is its own.
Times are wall seconds of ``solvers.solve`` phases; ``solve_s`` excludes the
menu-profit evaluation, reported separately.
"""

from __future__ import annotations

import json
import resource
import time

from harness import parser, run_case

CASES = [
    ("amm2d", 32, {"alpha": 0.0}), ("amm2d", 32, {"alpha": 0.5}),
    ("amm2d", 64, {"alpha": 0.0}), ("amm2d", 64, {"alpha": 0.5}),
    ("amm2d", 128, {"alpha": 0.0}), ("amm2d", 128, {"alpha": 0.5}),
    ("amm3d", 16, {"alpha": 0.0}), ("amm3d", 24, {"alpha": 0.0}),
    ("amm2d", 64, {"alpha": 0.0, "dist": "beta:2,2"}),
    ("monopolist2d", 64, {}),
]
QUICK = [c for c in CASES if c[1] <= (16 if c[0] == "amm3d" else 32)]


def run_one(name: str, k: int, params: dict) -> dict:
    from solvers import solve

    t0 = time.perf_counter()
    sol = solve(name, k, **params)
    solve_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    mp = sol.menu_profit()
    menu_s = time.perf_counter() - t1
    st = sol.stats
    return {
        "setting": name, "k": k, "params": params, "N": sol.grid.size, "status": sol.status,
        "rows": st.rows, "rounds": st.rounds, "iterations": st.iterations,
        "reduced_s": st.timings["reduced_s"], "lp_s": st.timings["lp_s"], "scan_s": st.timings["scan_s"],
        "solve_s": solve_s, "primal": sol.primal.value, "gap": sol.gap, "menu_items": len(sol.menu()),
        "menu_profit": mp.value, "menu_stderr": mp.stderr, "menu_s": menu_s,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    args = parser().parse_args()
    if args.one:
        name, k, params = json.loads(args.one)
        print(json.dumps(run_one(name, k, params)))
        return
    print("| setting | k | params | N | rows | rounds | reduced s | lp s | scan s | solve s | peak MiB "
          "| primal | gap | items | menu profit | menu s |")
    print("|" + "---|" * 16)
    for name, k, params in QUICK if args.quick else CASES:
        r = run_case(__file__, [name, k, params])
        p = ",".join(f"{a}={b}" for a, b in params.items()) or "-"
        mp = f"{r['menu_profit']:.6f}" + (f" ± {r['menu_stderr']:.0e}" if r["menu_stderr"] else "")
        print(f"| {name} | {k} | {p} | {r['N']:,} | {r['rows']:,} | {r['rounds']} | {r['reduced_s']:.2f} | "
              f"{r['lp_s']:.2f} | {r['scan_s']:.2f} | {r['solve_s']:.2f} | {r['peak_mib']:.0f} | "
              f"{r['primal']:.6f} | {r['gap']:.1e} | {r['menu_items']} | {mp} | {r['menu_s']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
