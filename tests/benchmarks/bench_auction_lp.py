"""Exact double-auction LP: ex-post against interim column generation, and how far the latter scales.

    python tests/benchmarks/bench_auction_lp.py            # both tables (about 20 minutes)
    python tests/benchmarks/bench_auction_lp.py --quick    # small cases only
    python tests/benchmarks/bench_auction_lp.py --limit 300

(a) 2 buyers, 2 sellers, U[0,1] on K = 21 values: the ex-post LP with HiGHS
    dual simplex and with interior point (plus crossover), and the interim
    column generation: seconds, value, gap, rows / columns / nonzeros,
    iterations, peak memory.
(b) the interim formulation on growing symmetric markets: profiles K^(m+n),
    multiset pairs C(K+m-1, m) C(K+n-1, n), columns generated, master rows,
    rounds, seconds, value, the broker's value and the gaps. The broker value
    is the ironed-virtual-value formula evaluated exactly by the same
    multiset order statistics (tests/auction/test_auction_lp.py checks that
    evaluation against profile enumeration); ``optimal_broker`` itself
    enumerates only up to 4e6 profiles and samples beyond.

Each case runs in a fresh subprocess under ``--limit`` seconds of solver time
(a time limit is printed as such, never as a value). Timings are wall-clock
on a shared machine: other jobs on the same cores inflate them.
"""

from __future__ import annotations

import json
import math
import resource
import time

from harness import parser, run_case

LIMIT = 300.0
EXPOST = [("ex_post", "simplex"), ("ex_post", "ipm"), ("interim", "simplex")]
U = ("uniform:0,1", "uniform:0,1")
BETA = ("beta:2,3", "beta:3,2")        # regular, skewed: the raw-value start columns are not optimal
ARCSINE = ("beta:0.5,0.5", "beta:0.5,0.5")  # U-shaped density: irregular, needs ironing
GROWTH = [(2, 2, 21, U), (3, 3, 21, U), (4, 4, 21, U), (5, 5, 21, U), (6, 6, 21, U), (8, 8, 21, U), (9, 9, 21, U),
          (5, 5, 11, U), (10, 8, 5, U), (10, 10, 11, U), (15, 15, 11, U), (20, 20, 5, U), (50, 50, 5, U),
          (1, 1, 64, U), (1, 1, 128, U), (2, 2, 64, U), (3, 3, 41, U),
          (3, 3, 21, BETA), (8, 8, 21, BETA), (15, 15, 11, BETA), (50, 50, 5, BETA), (1, 1, 128, BETA),
          (3, 3, 21, ARCSINE), (8, 8, 21, ARCSINE), (2, 2, 64, ARCSINE)]
QUICK_EXPOST = 11
QUICK_GROWTH = [(2, 2, 21, U), (3, 3, 21, U), (5, 5, 11, U), (10, 8, 5, U), (3, 3, 21, BETA), (3, 3, 21, ARCSINE)]


def run_one(kind: str, m: int, n: int, k: int, laws: list[str], form: str, method: str, limit: float) -> dict:
    """One solve in this process: its numbers, or the failure status."""
    from grids.auction import make_auction_setting
    from grids.errors import InvalidInput
    from solvers.auction.broker import side_virtual_values
    from solvers.auction.pricing import MultisetPricer
    from solvers.auction.lp import solve_auction_lp
    from solvers.status import SolverFailure

    setting = make_auction_setting(buyers=m, sellers=n, grid=k, values=laws[0], costs=laws[1])
    out = {"kind": kind, "m": m, "n": n, "k": k, "form": form, "method": method, "profiles": setting.profiles,
           "multisets": math.comb(k + m - 1, m) * math.comb(k + n - 1, n)}
    t0 = time.perf_counter()
    try:
        res = solve_auction_lp(setting, formulation=form, method=method, time_limit=limit)
    except (SolverFailure, InvalidInput) as err:
        out.update(error=str(err).split(";")[0], seconds=time.perf_counter() - t0)
        return out
    out.update(seconds=time.perf_counter() - t0, value=res.value, gap=res.gap, bound=res.dual_bound,
               rows=res.rows, columns=res.columns, nonzeros=res.nonzeros, iterations=res.iterations,
               status=res.status, ic=max(res.ic_violation.values()), rounds=res.extra.get("rounds"),
               generated=res.extra.get("columns_generated"), master_rows=res.extra.get("master_rows"),
               peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    phi, gamma = side_virtual_values(setting)
    out["broker"] = MultisetPricer.from_setting(setting).price(phi.table[None], gamma.table[None])[0]
    return out


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def main() -> None:
    ap = parser()
    ap.add_argument("--limit", type=float, default=LIMIT, help="solver seconds per case")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(*json.loads(args.one))))
        return
    k_expost = QUICK_EXPOST if args.quick else 21
    print(f"(a) 2x2, U[0,1], K = {k_expost}: ex-post LP vs interim column generation (limit {args.limit:g} s)\n")
    print("| formulation | HiGHS | seconds | value | gap | rows | columns | nonzeros | iterations | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for form, method in EXPOST:
        r = run_case(__file__, ["a", 2, 2, k_expost, U, form, method, args.limit])
        if "error" in r:
            print(f"| {form} | {method} | {r['seconds']:.1f} | {r['error']} | | | | | | |", flush=True)
            continue
        its = f"{r['iterations']:,}" + (f" ({r['rounds']} rounds)" if r["rounds"] else "")
        print(f"| {form} | {method} | {r['seconds']:.2f} | {r['value']:.12f} | {r['gap']:.1e} | {r['rows']:,} | "
              f"{r['columns']:,} | {r['nonzeros']:,} | {its} | {r['peak_mib']:.0f} |", flush=True)
    print(f"\n(b) interim column generation, symmetric markets on K values (limit {args.limit:g} s)\n")
    print("| m | n | K | values / costs | profiles | multisets | columns generated | master rows | rounds |"
          " seconds | peak MiB | value | broker value | gap | value - broker |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for m, n, k, laws in QUICK_GROWTH if args.quick else GROWTH:
        r = run_case(__file__, ["b", m, n, k, laws, "interim", "simplex", args.limit])
        head = f"| {m} | {n} | {k} | {' / '.join(laws)} | {r['profiles']:.2e} | {r['multisets']:.2e} |"
        if "error" in r:
            print(f"{head} | | | {r['seconds']:.1f} | | {r['error']} | | | |", flush=True)
            continue
        print(f"{head} {r['generated']} | {r['master_rows']} | {r['rounds']} | {r['seconds']:.2f} | "
              f"{r['peak_mib']:.0f} | {r['value']:.12f} | {r['broker']:.12f} | {_fmt(r['gap'], '.1e')} | "
              f"{r['value'] - r['broker']:.1e} |", flush=True)


if __name__ == "__main__":
    main()
