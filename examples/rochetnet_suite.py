"""The single-bidder benchmark suite of RochetNet, solved by the grid LP and certified, with a RochetNet beside it.

The settings are RochetNet's one-bidder configurations (deep-opt-auctions,
``rochetNet/cfgs``), registered here as ``suite-*``: additive U[0,1]^2
(Manelli-Vincent), x1 ~ U[4,16], x2 ~ U[4,7] (Daskalakis-Deckelbaum-Tzamos),
uniform on the triangle {x >= 0, x1 + x2 <= 1}, x1 ~ U[0,4], x2 ~ U[0,3] (no
closed form), unit demand U[0,1]^2 and unit demand U[2,3]^2 (Pavlov), and the
10-good additive case for nets only. For each: the closed form (derived in
``solvers/suite_values.py``), the exact profit of the LP's menu (a certified
lower bound), the grid LP value (certified by its dual), a RochetNet's exact
menu profit, and the times; the allocation maps go to PNGs.

Run (full mode: k = 64 LPs and 2000-step nets, several minutes; ``--fast``: k = 16, 40 steps)::

    python examples/rochetnet_suite.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Report, example_args  # noqa: E402

from grids import make_setting  # noqa: E402
from neural import TrainConfig, net_bound, train_rochetnet  # noqa: E402
from solvers import solve  # noqa: E402
from solvers.suite_values import SUITE_OPTIMA, bundle_baseline_04_03, bundle_baseline_additive  # noqa: E402

SETTINGS = ("suite-additive", "suite-ddt", "suite-triangle", "suite-04-03", "suite-unit-demand", "suite-pavlov")
SEED = 0
EXACT = 1e-12  # exact menu profits: float round-off


def run_setting(name: str, k: int, cfg: TrainConfig, out: Path) -> dict:
    """LP solve, its menu profit and allocation map, and a RochetNet's exact menu profit on one setting."""
    setting = make_setting(name)
    t0 = time.perf_counter()
    sol = solve(setting, k, form="gradient")   # the form whose grid value brackets the optimum from above
    lp_s = time.perf_counter() - t0
    menu_profit = sol.menu_profit().value
    png = out / f"{name}.png"
    sol.plot(png)
    t1 = time.perf_counter()
    res = train_rochetnet(setting, cfg, progress=False)
    net = net_bound(setting, res, sample_size=2**16, seed=SEED).value
    net_s = time.perf_counter() - t1
    closed = SUITE_OPTIMA.get(name)
    return {"name": name, "sol": sol, "lp_s": lp_s, "menu_profit": menu_profit, "net": net, "net_s": net_s,
            "train_s": res.train_seconds, "closed": None if closed is None else closed.value, "png": png,
            "widths": setting.types.width}


def main() -> None:
    args = example_args("rochetnet_suite", __doc__.splitlines()[0])
    if args.fast:
        k = 16
        cfg = TrainConfig(steps=40, eval_every=10, menu_size=64, holdout_size=2**12, patience=0, seed=SEED)
    else:
        k = 64
        cfg = TrainConfig(steps=2000, eval_every=100, menu_size=512, patience=0, seed=SEED)
    t_all = time.perf_counter()
    runs = [run_setting(name, k, cfg, args.out) for name in SETTINGS]
    rep = Report("The RochetNet single-bidder suite: LP optimum, certificate and a net on each setting",
                 example="rochetnet_suite", fast=args.fast, k=k, steps=cfg.steps, menu_size=cfg.menu_size, seed=SEED)
    rep.text(f"Monopolist, one buyer, two goods. LP: the gradient form (its grid value sits above the "
             f"continuous optimum; form='auto' takes the faster measure form on scaled type boxes), "
             f"k = {k} cells per axis of each type box, HiGHS. Net: RochetNet with {cfg.menu_size} items, "
             f"{cfg.steps} Adam steps, seed {SEED}; 'net exact' is the exact continuous profit of the items that "
             f"2^16 sampled types choose (a true lower bound). 'LP menu' is the exact profit of the LP's menu (a true "
             f"lower bound); 'LP value' is the grid optimum, certified by its dual (gap column), which sits O(h) "
             f"above the continuous optimum.")
    rows = []
    for r in runs:
        sol = r["sol"]
        rows.append((r["name"], "-" if r["closed"] is None else f"{r['closed']:.6f}", f"{r['menu_profit']:.6f}",
                     f"{sol.primal.value:.6f}", f"{sol.gap:.1e}", f"{r['net']:.6f}", f"{r['lp_s']:.1f}",
                     f"{r['train_s']:.1f}"))
        rep.figure(r["png"], f"{r['name']}: u and the allocation of each good (k = {k}, user units)")
    rep.table(["setting", "closed form", "LP menu profit", "LP value", "LP gap", "RochetNet exact", "LP s",
               "train s"], rows)
    f = rep.claims
    for r in runs:
        sol, name = r["sol"], r["name"]
        f.add(f"certified_{name}", sol.gap, "the LP is optimal with a certified gap within its 1e-7 tolerance",
              sol.status == "optimal" and abs(sol.gap) <= 1e-7 * max(1.0, abs(sol.primal.value)))
        f.add(f"net_below_lp_value_{name}", r["net"] - sol.primal.value, "the net's exact profit (a mechanism's) is "
              "not above the LP value (the grid optimum, above the continuous optimum)",
              r["net"] <= sol.primal.value + EXACT, net=r["net"], lp=sol.primal.value)
        if r["closed"] is not None:
            bracket = r["menu_profit"] <= r["closed"] + EXACT <= sol.primal.value + 2 * EXACT
            claim = f.add(f"closed_form_bracketed_{name}", [r["menu_profit"], r["closed"], sol.primal.value],
                          "the closed form lies between the LP menu's exact profit and the LP value", bracket)
            f.at_most(f"lp_bias_{name}", sol.primal.value - r["closed"], float(r["widths"].sum()) / (4 * k),
                      "the LP value sits at most (h/4) sum of the type-box widths above the closed form (the cell "
                      "rule's bias, DESIGN §6)")
            f.at_most(f"net_not_above_closed_{name}", r["net"] - r["closed"], EXACT,
                      "the net's exact profit is not above the closed form")
            rep.finding(f"{name}: closed form {r['closed']:.6f}; LP menu {r['menu_profit']:.6f}, LP value "
                        f"{sol.primal.value:.6f}: " + claim.verdict("the LP confirms it (bracketed)",
                                                                   "the LP does NOT bracket it"))
    bundle, separate = bundle_baseline_04_03()
    r043 = next(r for r in runs if r["name"] == "suite-04-03")
    beat = f.at_least("lp_beats_baselines_04_03", r043["menu_profit"], max(bundle, separate),
                      "on U[0,4] x U[0,3] the LP menu earns more than the better of bundling (2 sqrt2) and separate "
                      "sale (2 and 1.5)", bundle=bundle, separate=separate)
    rep.finding(f"suite-04-03 (no closed form): LP menu {r043['menu_profit']:.6f} against bundling {bundle:.6f} and "
                f"separate sale {separate:.4f}: " + beat.verdict("the LP menu is better than both",
                                                                 "the LP menu does NOT beat them"))
    ddt = next(r for r in runs if r["name"] == "suite-ddt")["sol"].menu()
    def near(target: tuple[float, float]) -> float:  # type mass of the LP's items within 0.1 of an allocation
        return sum(it.mass for it in ddt if np.abs(np.array(it.allocation) - target).max() <= 0.1)

    f.add("ddt_lottery_half_one", [near((0.5, 1.0)), near((1.0, 0.5))], "the DDT lottery the LP sells is (1/2, 1), "
          "not (1, 1/2): more type mass buys near the first", near((0.5, 1.0)) > near((1.0, 0.5)))
    # 10 goods: no grid LP (11^10 points at k = 10); the net against the two baselines
    s10 = make_setting("suite-additive-10")
    t0 = time.perf_counter()
    res10 = train_rochetnet(s10, cfg, progress=False)
    held_out = max(v for *_, v in res10.history)
    b10, sep10 = bundle_baseline_additive(10)
    f.measure("additive_10_net_held_out", held_out, "the net's best held-out profit on 10 goods (Monte Carlo, "
              f"{cfg.holdout_size} Sobol types)", bundle=b10, separate=sep10, train_s=time.perf_counter() - t0)
    rep.text(f"suite-additive-10: no grid LP (10 dimensions); RochetNet's best held-out profit {held_out:.4f} "
             f"against the best bundle price {b10:.4f} and separate sale {sep10:.2f} "
             f"({time.perf_counter() - t0:.1f} s). Total run time {time.perf_counter() - t_all:.1f} s.")
    rep.save(args.out)


if __name__ == "__main__":
    main()
