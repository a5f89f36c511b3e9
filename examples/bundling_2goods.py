"""Bundling in two goods: grid-LP menus against the paper's Table 2, and the gain over selling separately.

Two uniform goods, belief c = (1/2, 1/2), adverse selection alpha. The
example (1) draws the LP's allocation map at alpha = 0, 0.25, 0.5, 0.75 like
the paper's Figure 2, coloured by the trade chosen, with the region
boundaries of the closed-form Table 2 menu (DESIGN §1.4) drawn on top;
(2) tabulates the LP menu (prices and exact masses) against Table 2; (3)
sweeps alpha and plots the profit gain of bundling over selling each good
separately, for the LP (with the sweep's grid baseline and with the exact 1D
optimum) and for the Table 2 menu in the continuum, and locates the peaks.

Run (full mode, k = 64, alpha step 0.05; ``--fast``: k = 16, step 0.3;
``--readme-image`` also writes examples/img/bundling_2goods.png in full mode)::

    python examples/bundling_2goods.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from scipy import optimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import EXAMPLES, Report, example_args  # noqa: E402

from grids import make_setting  # noqa: E402
from solvers import Solution, solve, sweep  # noqa: E402
from solvers.known_values import spread_profit_1d, table2_menu  # noqa: E402
from solvers.menu_profit import evaluate_menu  # noqa: E402

ALPHAS = (0.0, 0.25, 0.5, 0.75)
# the 9 deterministic trades, coded 3 (g1 + 1) + (g2 + 1); colours: buy red, sell blue, swap green, none white
CODES = [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1)]
CMAP = ListedColormap(["#2166ac", "#92c5de", "#1b9e77", "#d1e5f0", "#ffffff", "#fddbc7", "#66a61e", "#f4a582",
                       "#b2182b"])


def code(g: np.ndarray) -> np.ndarray:
    """Category 0..8 of allocations (..., 2), each coordinate rounded to -1, 0 or +1."""
    r = np.clip(np.rint(g), -1, 1).astype(int)
    return 3 * (r[..., 0] + 1) + (r[..., 1] + 1)


def table2_profit(alpha: float) -> float:
    """Exact continuum profit of the paper's Table 2 menu at alpha."""
    return evaluate_menu(make_setting("amm2d", alpha=alpha), *table2_menu(alpha)).value


def parabola_peak(x: np.ndarray, y: np.ndarray, width: float) -> tuple[float, float]:
    """Vertex (x, y) of the least-squares parabola through the samples within ``width`` of the sample maximum."""
    i = int(np.argmax(y))
    near = np.abs(x - x[i]) <= width + 1e-9
    if i == 0 or i == len(y) - 1 or near.sum() < 3:
        return float(x[i]), float(y[i])
    c2, c1, c0 = np.polyfit(x[near], y[near], 2)
    xv = -c1 / (2 * c2)
    return float(xv), float(np.polyval([c2, c1, c0], xv))


def draw_maps(sols: dict[float, Solution], path: Path, dpi: int) -> None:
    """2 x 2 allocation maps coloured by trade; black lines: Table 2 region boundaries."""
    fig = Figure(figsize=(9, 8.4), dpi=dpi, layout="constrained")
    xs = np.linspace(0, 1, 401)
    X = np.stack(np.meshgrid(xs, xs, indexing="xy"), -1)
    for ax, (alpha, sol) in zip(fig.subplots(2, 2).ravel(), sols.items()):
        k = sol.grid.k
        e = (np.arange(k + 2) - 0.5) / k
        cat = code(sol.primal.g.reshape(k + 1, k + 1, 2))
        ax.pcolormesh(e, e, cat.T, cmap=CMAP, vmin=-0.5, vmax=8.5, shading="flat")
        a, p = table2_menu(alpha)
        a, p = np.vstack([a, [0, 0]]), np.append(p, 0.0)
        ax.contour(xs, xs, code(a[np.argmax(X @ a.T - p, axis=-1)]), levels=np.arange(8) + 0.5, colors="k",
                   linewidths=0.7)
        ax.set(title=f"alpha = {alpha:g}", xlabel="x1", ylabel="x2", xlim=(0, 1), ylim=(0, 1), aspect="equal")
    handles = [Patch(fc=CMAP(i), ec="0.5", label=f"({a}, {b})") for i, (a, b) in enumerate(CODES)]
    fig.legend(handles=handles, loc="outside right center", title="trade (g1, g2)")
    fig.suptitle(f"amm2d LP allocation, k = {next(iter(sols.values())).grid.k} (black: Table 2 regions)")
    fig.savefig(path, bbox_inches="tight")


def main() -> None:
    args = example_args("bundling_2goods", __doc__.splitlines()[0])
    k, step = (16, 0.3) if args.fast else (64, 0.05)
    rep = Report("Bundling in two goods: LP menus, the paper's Table 2 and the bundling gain",
                 example="bundling_2goods", fast=args.fast, k=k, alpha_step=step, alphas=ALPHAS)
    rep.text(f"amm2d, uniform types on [0, 1]^2, c = (1/2, 1/2), k = {k}. Table 2 is the closed-form menu of "
             "DESIGN §1.4 (lam = 1 - alpha); 'exact mass' is the probability of choosing an item on continuous types.")
    t0 = time.perf_counter()
    sols = {a: solve("amm2d", k, alpha=a) for a in ALPHAS}
    draw_maps(sols, args.out / "allocation_maps.png", 100)
    rep.figure(args.out / "allocation_maps.png", "LP allocation maps; black lines: Table 2 region boundaries")
    if args.readme_image:
        (EXAMPLES / "img").mkdir(exist_ok=True)
        draw_maps(sols, EXAMPLES / "img" / "bundling_2goods.png", 55)
    items, summary, worst_price, extra_mass, offered = [], [], 0.0, 0.0, {}
    for a, sol in sols.items():
        menu, mp = sol.menu(), sol.menu_profit()
        lp = {tuple(np.rint(it.allocation).astype(int)): (it.price, m) for it, m in zip(menu, mp.masses)
              if np.allclose(it.allocation, np.rint(it.allocation))}
        alloc, prices = table2_menu(a)
        t2 = evaluate_menu(make_setting("amm2d", alpha=a), alloc, prices)
        for al, p, m in zip(alloc.astype(int), prices, t2.masses):
            lp_p, lp_m = lp.get(tuple(al), (np.nan, 0.0))
            worst_price = max(worst_price, abs(lp_p - p))
            offered[a] = offered.get(a, 0) + int(lp_m > 0)
            items.append((a, f"({al[0]}, {al[1]})", lp_p, p, lp_p - p, lp_m, m))
        extra = float(sum(m for it, m in zip(menu, mp.masses)
                          if tuple(np.rint(it.allocation)) not in {tuple(x) for x in alloc} | {(0.0, 0.0)}
                          or not np.allclose(it.allocation, np.rint(it.allocation))))
        extra_mass = max(extra_mass, extra)
        summary.append((a, sol.primal.value, sol.gap, mp.value, t2.value, mp.value - t2.value, len(menu), extra))
    rep.table(["alpha", "LP primal", "LP gap", "LP menu profit", "Table 2 profit", "LP menu - Table 2",
               "LP menu items", "mass off Table 2"], summary)
    rep.table(["alpha", "trade", "LP price", "Table 2 price", "difference", "LP exact mass", "Table 2 exact mass"],
              items)
    store = args.out / "sweep.sqlite"
    res = sweep("amm2d", k, sweep={"alpha": f"0:0.9:{step}"}, executor="serial", store=store)
    recs = [r for r in res.records if r["status"] == "optimal"]
    if not args.fast:  # a finer sweep around the coarse maximum
        a_max = max(recs, key=lambda r: r["bundling_gain"])["alpha"]
        res = sweep("amm2d", k, sweep={"alpha": [round(a_max + d, 2) for d in np.arange(-0.04, 0.041, 0.01)]},
                    executor="serial", store=store)
        recs = sorted({r["alpha"]: r for r in recs + [r for r in res.records if r["status"] == "optimal"]}.values(),
                      key=lambda r: r["alpha"])
    al = np.array([r["alpha"] for r in recs])
    gain_grid = np.array([r["bundling_gain"] for r in recs])
    gain_exact = np.array([r["menu_profit"] / (2 * spread_profit_1d(r["alpha"])) - 1 for r in recs])
    fine = np.arange(0, 0.951, 0.05 if args.fast else 0.01)
    gain_t2 = np.array([table2_profit(a) / (2 * spread_profit_1d(a)) - 1 for a in fine])
    best = optimize.minimize_scalar(lambda a: -(table2_profit(a) / (2 * spread_profit_1d(a)) - 1),
                                    bounds=(0.2, 0.8), method="bounded", options={"xatol": 1e-5})
    width = step if args.fast else 0.05
    t2_at = np.array([table2_profit(a) / (2 * spread_profit_1d(a)) - 1 for a in al])
    curves = {"LP, grid 1D baseline (sweep's bundling_gain)": gain_grid, "LP, exact 1D baseline": gain_exact,
              "Table 2 menu, continuum": t2_at}
    peaks = {n: parabola_peak(al, g, width) for n, g in curves.items()}
    peaks["Table 2 menu, continuum"] = (float(best.x), float(-best.fun))
    fig = Figure(figsize=(7.5, 4.5), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.plot(fine, 100 * gain_t2, "k-", lw=1.2, label="Table 2 menu, exact (continuum)")
    ax.plot(al, 100 * gain_grid, "o-", ms=3, color="C3", label=f"LP k = {k}: sweep bundling_gain (grid 1D baseline)")
    ax.plot(al, 100 * gain_exact, "s--", ms=3, color="C0", label=f"LP k = {k} menu vs exact 1D optimum")
    for (name, (xp, yp)), col in zip(peaks.items(), ("C3", "C0", "k")):
        ax.plot([xp], [100 * yp], "*", ms=11, color=col, mec="w")
    ax.set(xlabel="alpha (adverse selection)", ylabel="profit gain over selling separately (%)",
           title="Bundling gain in two uniform goods (stars: peaks)")
    ax.legend(fontsize="small")
    fig.savefig(args.out / "bundling_gain.png", bbox_inches="tight")
    rep.figure(args.out / "bundling_gain.png", "bundling gain against alpha")
    rep.table(["alpha", "LP menu profit", "separate (sweep, grid 1D)", "2 x exact 1D", "gain (sweep)",
               "gain vs exact 1D", "Table 2 gain"],
              [(r["alpha"], r["menu_profit"], r["separate_profit"], 2 * spread_profit_1d(r["alpha"]), g1, g2, g3)
               for r, g1, g2, g3 in zip(recs, gain_grid, gain_exact, t2_at)])
    rep.table(["curve", "sample max alpha", "sample max gain", "peak alpha (fit / exact)", "peak gain"],
              [(n, al[np.argmax(g)], f"{100 * g.max():.3f} %", peaks[n][0], f"{100 * peaks[n][1]:.3f} %")
               for n, g in curves.items()])
    rep.text(f"LP peaks: least-squares parabola through the sweep points within {width:g} of the sample maximum; "
             "Table 2 peak: bounded scalar maximization of its exact gain.")
    rep.text(f"Sweep store: {store.name} ({len(recs)} instances); total run time {time.perf_counter() - t0:.1f} s.")
    t2_peak, lp_exact = peaks["Table 2 menu, continuum"], peaks["LP, exact 1D baseline"]
    f = rep.claims
    eight = f.equals("table2_trades_offered", min(offered.values()), 8, "at every alpha the LP menu offers all 8 "
                     "deterministic trades of Table 2, each chosen with positive exact mass", per_alpha=offered)
    price = f.at_most("price_error_max", worst_price, 1 / k, "the LP menu's prices are within one grid cell 1/k of "
                      "Table 2's", k=k, prices=[dict(zip(("alpha", "trade", "lp_price", "table2_price"), r[:4]))
                                                for r in items])
    off = f.at_most("mass_off_table2", extra_mass, 1e-6, "at most 1e-6 of the type mass chooses an item outside "
                    "Table 2 and no trade")
    diff = [row[5] for row in summary]
    below = f.at_most("lp_menu_minus_table2_max", max(diff), 1e-12, "the LP menu's exact profit is never above "
                      "Table 2's (to rounding, 1e-12)", per_alpha={row[0]: {"lp_menu": row[3], "table2": row[4]}
                                                                   for row in summary})
    g0 = f.between("table2_gain_alpha0", float(gain_t2[0]), 0.095, 0.105, "Table 2's exact bundling gain over "
                   "selling separately at alpha = 0 is 'about 10 %' (the paper), i.e. between 9.5 % and 10.5 %",
                   at_alpha=float(fine[0]), table2_profit=table2_profit(float(fine[0])),
                   separate=2 * spread_profit_1d(float(fine[0])))
    peak = f.within("table2_gain_peak", t2_peak[1], 0.114, 0.0005, "Table 2's exact bundling gain peaks at "
                    "'up to 11.4 %' (the paper), i.e. rounds to 11.4 %", at_alpha=t2_peak[0])
    where = f.between("table2_peak_alpha", t2_peak[0], 0.5, 0.55, "the peak lies at alpha in [0.5, 0.55] (DESIGN)",
                      gain=t2_peak[1])
    over = int(np.sum(gain_exact > t2_at + 1e-12))
    sweep_over = int(np.sum(gain_grid > t2_at + 1e-12))
    lp_over = f.equals("lp_gain_above_table2", over, 0, "measured against the exact 1D optimum, the LP menu's "
                       "bundling gain exceeds Table 2's at no alpha of the sweep", alphas=al, lp_gain=gain_exact,
                       table2_gain=t2_at)
    f.measure("lp_gain_peak", float(gain_exact.max()), "largest sampled LP bundling gain against the exact 1D "
              "optimum", at_alpha=float(al[np.argmax(gain_exact)]), fit_alpha=lp_exact[0], fit_gain=lp_exact[1])
    gap = gain_grid - gain_exact
    over_grid = f.add("sweep_gain_overstates", float(gap.max()), "the sweep's bundling_gain (grid 1D baseline) is "
                      "at least the gain against the exact 1D optimum at every alpha (to 1e-9), and above it "
                      "somewhere", bool(gap.min() >= -1e-9 and gap.max() > 1e-9), min_difference=float(gap.min()),
                      sweep_gain=gain_grid, above_table2=sweep_over)
    j = int(np.argmax([1 - r["separate_profit"] / (2 * spread_profit_1d(r["alpha"])) for r in recs]))
    rep.finding(
        f"At alpha = {', '.join(f'{a:g}' for a in ALPHAS)} the LP menu "
        + eight.verdict("offers all 8 deterministic trades of Table 2 (each chosen with positive mass)",
                        f"does NOT offer every trade of Table 2 with positive mass (fewest: {eight.value})")
        + f"; its prices differ from Table 2 by at most {worst_price:.3g}, "
        + price.verdict("within", "MORE than") + f" one grid cell 1/k = {1 / k:.3g}; {extra_mass:.2g} of the type "
        "mass chooses an item outside Table 2" + off.verdict("", " (MORE than 1e-6)") + ", and its exact profit is "
        f"within {max(abs(d) for d in diff):.2g} of Table 2's, "
        + below.verdict("never above it, consistent with Table 2 being optimal.",
                        "ABOVE it at some alpha, which would contradict Table 2's optimality."))
    rep.finding(
        f"Table 2's exact bundling gain is {100 * gain_t2[0]:.2f} % at alpha = 0 and peaks at "
        f"{100 * t2_peak[1]:.3f} % at alpha = {t2_peak[0]:.3f}: this "
        + ("confirms" if g0.holds and peak.holds else "does NOT confirm")
        + " the paper's 'about 10 %' and 'up to 11.4 %'"
        + where.verdict(", with the peak", ", and the peak is NOT") + " near alpha 0.5-0.55 (DESIGN). Measured against "
        f"the exact 1D optimum, the LP menu's gain exceeds Table 2's at {over} of {len(al)} alphas and peaks at "
        f"{100 * gain_exact.max():.3f} % (sample) / {100 * lp_exact[1]:.3f} % (fit, alpha = {lp_exact[0]:.3f}). "
        "The sweep's own bundling_gain, whose baseline is the 1D grid menu, exceeds Table 2's gain at "
        f"{sweep_over} of {len(al)} alphas and peaks at {100 * gain_grid.max():.2f} % (sample, alpha = "
        f"{al[np.argmax(gain_grid)]:g}); it exceeds the exact-baseline gain by up to {gap.max():.2g}: "
        + over_grid.verdict("it overstates the gain, because the 1D grid menu's quotes sit on grid points and lose "
                            "profit wherever 1/2 +- 1/(2(2 - alpha)) is not one",
                            "it does NOT systematically overstate the gain here")
        + f" (largest relative shortfall at alpha = {al[j]:g}: {recs[j]['separate_profit']:.5f} against "
        f"{2 * spread_profit_1d(al[j]):.5f}). The exact spread profit is the fair baseline"
        + lp_over.verdict("; with it, no LP menu beats Table 2's gain.", f"; with it, the LP menu beats Table 2's gain "
                          f"at {over} alphas, which would contradict Table 2's optimality.")
        + (" (Fast mode: 4 coarse alphas at k = 16, so the LP peaks are not measurements.)" if args.fast else ""))
    rep.save(args.out)


if __name__ == "__main__":
    main()
