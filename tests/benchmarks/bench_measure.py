"""Benchmark of the measure form (DESIGN §1.2); prints two markdown tables. Not part of the test run.

    python tests/benchmarks/bench_measure.py                 # k = 16..128 and 64..256
    python tests/benchmarks/bench_measure.py --quick         # small grids only
    python tests/benchmarks/bench_measure.py --timeout 120   # seconds per case (default 600)

(a) convergence: amm2d alpha 0 and 0.5, monopolist2d, amm2d beta:2,2; the
    gradient-form value, the measure-form value, their difference, the exact
    menu profit of each solution and the errors against the closed forms of
    DESIGN §1.4 where known (alpha 0.5: the Table 2 menu evaluated exactly).
(b) timing of the measure form on uniform amm2d alpha 0: build, primal LP,
    transport (dual) LP, total seconds, LP sizes, peak memory and gap.

Each solve runs in a fresh subprocess, so its peak memory (ru_maxrss) is its
own and a case over ``--timeout`` seconds is killed and printed as "timeout".
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for conftest's closed forms

CONV_SETTINGS = [
    ("amm2d alpha 0", "amm2d", {"alpha": 0.0}),
    ("amm2d alpha 0.5", "amm2d", {"alpha": 0.5}),
    ("monopolist2d", "monopolist2d", {}),
    ("amm2d beta:2,2", "amm2d", {"dist": "beta:2,2"}),
]
CONV_KS, CONV_KS_QUICK = (16, 32, 64, 128), (8, 16)
TIMING_KS, TIMING_KS_QUICK = (64, 128, 256), (16, 32)


def exact_value(name: str, params: dict) -> float | None:
    """The continuous optimum of DESIGN §1.4 where it is known (uniform law), else None."""
    from conftest import AMM2D_PROFIT_ALPHA0, MONOPOLIST2D_REVENUE, table2_menu

    if params.get("dist", "uniform") != "uniform":
        return None
    if name == "monopolist2d":
        return MONOPOLIST2D_REVENUE
    alpha = params.get("alpha", 0.0)
    if alpha == 0.0:
        return AMM2D_PROFIT_ALPHA0
    from grids import make_setting
    from solvers.menu_profit import evaluate_menu

    alloc, prices = table2_menu(alpha)
    return evaluate_menu(make_setting("amm2d", alpha=alpha), alloc, prices).value


def run_one(name: str, k: int, params: dict, form: str, menu: bool) -> dict:
    """One solve (in this process); values, timings, sizes, peak memory."""
    from solvers import solve

    t0 = time.perf_counter()
    sol = solve(name, k, form=form, **params)
    solve_s = time.perf_counter() - t0
    t = sol.stats.timings
    out = {
        "status": sol.status, "N": sol.grid.size, "value": sol.primal.value, "dual": sol.dual.value,
        "gap": sol.gap, "solve_s": solve_s, "build_s": t.get("build_s", math.nan),
        "primal_s": t.get("primal_s", math.nan), "dual_s": t.get("dual_s", math.nan),
        "total_s": t.get("total_s", solve_s), "rows": sol.stats.rows, "columns": sol.stats.columns,
    }
    if menu:
        t1 = time.perf_counter()
        mp = sol.menu_profit()
        out.update(menu_profit=mp.value, menu_stderr=mp.stderr, menu_s=time.perf_counter() - t1)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def in_subprocess(name: str, k: int, params: dict, form: str, menu: bool, timeout: float) -> dict:
    """run_one in a fresh interpreter; {"timeout": seconds} or {"error": text} when it does not finish."""
    t0 = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, __file__, "--one", json.dumps([name, k, params, form, menu])],
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:  # subprocess.run kills the child first
        return {"timeout": timeout}
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {out.returncode}: {last}", "wall_s": time.perf_counter() - t0}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fmt(v: float | None, spec: str = ".6f") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def _failed(r: dict) -> str | None:
    if "timeout" in r:
        return f"timeout (>{r['timeout']:g} s)"
    if "error" in r:
        return r["error"]
    return None


def _menu(r: dict) -> str:
    if "menu_profit" not in r:
        return "-"
    return f"{r['menu_profit']:.6f}" + (f" ± {r['menu_stderr']:.0e}" if r["menu_stderr"] else "")


def convergence_table(ks: tuple[int, ...], timeout: float) -> None:
    print("### (a) convergence: gradient form vs measure form\n")
    print("| setting | k | gradient | measure | grad - meas | ratio | menu profit (grad) | menu profit (meas) "
          "| exact | err grad | err meas | err menu grad | err menu meas | grad s | meas s |")
    print("|" + "---|" * 15)
    for label, name, params in CONV_SETTINGS:
        exact = exact_value(name, params)
        prev_diff = None
        for k in ks:
            g = in_subprocess(name, k, params, "gradient", True, timeout)
            m = in_subprocess(name, k, params, "measure", True, timeout)
            fg, fm = _failed(g), _failed(m)
            gv = None if fg else g["value"]
            mv = None if fm else m["value"]
            diff = gv - mv if gv is not None and mv is not None else None
            ratio = prev_diff / diff if diff and prev_diff else None
            prev_diff = diff

            def err(v):
                return None if v is None or exact is None else v - exact

            print(f"| {label} | {k} | {fg or _fmt(gv)} | {fm or _fmt(mv)} | {_fmt(diff, '.2e')} | {_fmt(ratio, '.2f')} "
                  f"| {'-' if fg else _menu(g)} | {'-' if fm else _menu(m)} | {_fmt(exact)} "
                  f"| {_fmt(err(gv), '+.2e')} | {_fmt(err(mv), '+.2e')} "
                  f"| {_fmt(err(None if fg else g.get('menu_profit')), '+.2e')} "
                  f"| {_fmt(err(None if fm else m.get('menu_profit')), '+.2e')} "
                  f"| {'-' if fg else _fmt(g['solve_s'], '.2f')} | {'-' if fm else _fmt(m['solve_s'], '.2f')} |",
                  flush=True)
    print("\nratio: (grad - meas) at k/2 over (grad - meas) at k (2 for first order). "
          "err: value - exact (DESIGN §1.4; alpha 0.5: the Table 2 menu evaluated exactly).\n")


def timing_table(ks: tuple[int, ...], timeout: float) -> None:
    print("### (b) measure form timing: uniform amm2d, alpha 0, stencil radius 1\n")
    print("| k | N | build s | primal LP s | dual LP s | total s | primal rows x cols | dual rows x cols "
          "| peak MiB | value | gap |")
    print("|" + "---|" * 11)
    for k in ks:
        r = in_subprocess("amm2d", k, {"alpha": 0.0}, "measure", False, timeout)
        bad = _failed(r)
        if bad:
            print(f"| {k} | {(k + 1) ** 2:,} | {bad} |" + " |" * 8, flush=True)
            continue
        N = r["N"]
        # primal: stencil rows x N columns; transport: N - 1 rows (c is free) x the rest of the columns
        print(f"| {k} | {N:,} | {r['build_s']:.2f} | {r['primal_s']:.2f} | {r['dual_s']:.2f} | {r['total_s']:.2f} "
              f"| {r['rows']:,} x {N:,} | {N - 1:,} x {r['columns'] - N:,} | {r['peak_mib']:.0f} "
              f"| {r['value']:.6f} | {r['gap']:.1e} |", flush=True)
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small grids only (a few seconds)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per solve before it is reported as timeout")
    ap.add_argument("--only", choices=("convergence", "timing"), help="print one table")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        name, k, params, form, menu = json.loads(args.one)
        print(json.dumps(run_one(name, k, params, form, menu)))
        return
    t0 = time.perf_counter()
    if args.only != "timing":
        convergence_table(CONV_KS_QUICK if args.quick else CONV_KS, args.timeout)
    if args.only != "convergence":
        timing_table(TIMING_KS_QUICK if args.quick else TIMING_KS, args.timeout)
    print(f"wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
