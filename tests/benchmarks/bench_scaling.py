"""Scaling table of the grid LPs; prints markdown. Not part of the test run.

    python tests/benchmarks/bench_scaling.py            # the full table (about 20 minutes on 2 cores)
    python tests/benchmarks/bench_scaling.py --quick    # small cases only
    python tests/benchmarks/bench_scaling.py --series "measure amm2d"   # one series

Each case runs in a fresh subprocess (its own peak memory, ru_maxrss). Per
series the log-log slope of total time against the number of points N is
fitted by least squares over the cases that took at least 0.1 s: time ~ N^slope.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np
from harness import parser, run_case

# (series, setting, form, k, params, fold, solver)
SERIES: dict[str, tuple[str, str, dict, bool, str, list[int]]] = {
    "gradient amm2d folded": ("amm2d", "gradient", {}, True, "highs", [32, 64, 128, 256, 512]),
    "gradient amm2d unfolded": ("amm2d", "gradient", {}, False, "highs", [32, 64, 128, 256]),
    "gradient amm3d folded": ("amm3d", "gradient", {}, True, "highs", [8, 16, 24, 32, 48]),
    "gradient amm3d unfolded": ("amm3d", "gradient", {}, False, "highs", [8, 16, 24, 32]),
    "gradient amm2d beta:2,2 folded": ("amm2d", "gradient", {"dist": "beta:2,2"}, True, "highs", [64, 128, 256]),
    "gradient amm2d beta:2,2 unfolded": ("amm2d", "gradient", {"dist": "beta:2,2"}, False, "highs", [64, 128]),
    "gradient amm2d c=(1/4,3/8) (no symmetry)": ("amm2d", "gradient", {"belief": "0.25,0.375"}, True, "highs",
                                                 [32, 64, 128]),
    "measure amm2d folded": ("amm2d", "measure", {}, True, "highs", [64, 128, 256, 512, 1000]),
    "measure amm2d unfolded": ("amm2d", "measure", {}, False, "highs", [64, 128, 256]),
    "gradient amm2d pdlp (first order, CPU)": ("amm2d", "gradient", {}, False, "pdlp", [16, 32, 64]),
}
QUICK_K = {"amm3d": 16}  # --quick: k up to this (64 otherwise)


def run_one(name: str, form: str, k: int, params: dict, fold: bool, solver: str) -> dict:
    from solvers import solve

    t0 = time.perf_counter()
    sol = solve(name, k, form=form, fold=fold, solver=solver, **params)
    total = time.perf_counter() - t0
    st, t = sol.stats, sol.stats.timings
    return {
        "N": sol.grid.size, "G": st.group_order, "rows": st.rows, "columns": st.columns, "nnz": st.nonzeros,
        "build_s": t["build_s"], "lp_s": t["lp_s"] + t.get("reduced_s", 0.0), "scan_s": t["scan_s"],
        "certify_s": t["certify_s"],
        "total_s": total, "status": sol.status, "value": sol.primal.value,
        "gap": sol.certificate.dual_bound - sol.primal.value,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def slope(rows: list[dict]) -> float | None:
    """Least-squares slope of log(total_s) on log(N) over the cases of at least 0.1 s."""
    pts = [(np.log(r["N"]), np.log(r["total_s"])) for r in rows if r["total_s"] >= 0.1]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def main() -> None:
    ap = parser()
    ap.add_argument("--series", help="run only the series whose name contains this")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(*json.loads(args.one))))
        return
    print("| series | k | N | G | LP rows | columns | nonzeros | build s | LP s (with reduced axis LP) | scan s "
          "| total s | peak MiB | status | value | certified gap |")
    print("|" + "---|" * 15)
    slopes = {}
    for series, (name, form, params, fold, solver, ks) in SERIES.items():
        if args.series and args.series not in series:
            continue
        done = []
        for k in ks:
            if args.quick and k > QUICK_K.get(name, 64):
                continue
            r = run_case(__file__, [name, form, k, params, fold, solver])
            done.append(r)
            print(f"| {series} | {k} | {r['N']:,} | {r['G']} | {r['rows']:,} | {r['columns']:,} | {r['nnz']:,} "
                  f"| {r['build_s']:.2f} | {r['lp_s']:.2f} | {r['scan_s']:.2f} | {r['total_s']:.2f} "
                  f"| {r['peak_mib']:.0f} | {r['status']} | {r['value']:.8f} | {r['gap']:.1e} |", flush=True)
        slopes[series] = slope(done)
    print("\n| series | log-log slope of total time in N |\n|---|---|")
    for series, s in slopes.items():
        print(f"| {series} | {'-' if s is None else f'{s:.2f}'} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
