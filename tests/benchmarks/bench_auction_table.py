"""Double-auction revenue table for U[0,1] markets; prints markdown. Not part of the test run.

    python tests/benchmarks/bench_auction_table.py             # (1,1) (2,2) (3,3) (10,8) (20,20)
    python tests/benchmarks/bench_auction_table.py --quick     # (1,1) (2,2) only

Optimal broker and first best are exact (order-statistic quadrature); TRM, McAfee
and random matching are Monte Carlo on 400,000 common profiles with their
standard errors and an ex-post misreport search on 256 profiles. The trained
transformer's row comes from bench_auction_net.py (training is the slow part).
"""

from __future__ import annotations

from harness import parser

from grids.auction import make_auction_setting
from solvers.auction.compare import compare

SIZES = [(1, 1), (2, 2), (3, 3), (10, 8), (20, 20)]
MECHANISMS = ["broker", "broker_dsic", "trm", "mcafee", "random", "first_best"]


def main() -> None:
    args = parser().parse_args()
    sizes = SIZES[:2] if args.quick else SIZES
    print("| m | n | " + " | ".join(MECHANISMS) + " | IC (random, buyers/sellers) |")
    print("|---|---|" + "---|" * (len(MECHANISMS) + 1))
    for m, n in sizes:
        res = compare(make_auction_setting(buyers=m, sellers=n), MECHANISMS, samples=400_000, seed=0)
        cells = []
        for name in MECHANISMS:
            r = res.row(name)
            cells.append(f"{r.revenue:.4f}" + (f" ± {r.stderr:.4f}" if r.stderr else ""))
        rnd = res.row("random")
        print(f"| {m} | {n} | " + " | ".join(cells)
              + f" | {rnd.ic_violation_buyers:.3f} / {rnd.ic_violation_sellers:.3f} |")


if __name__ == "__main__":
    main()
