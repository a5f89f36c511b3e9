"""Bar charts of a double-auction comparison: revenue (± 2 standard errors) and IC violation."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from solvers.auction.compare import AuctionComparison


def plot_comparison(result: AuctionComparison) -> Figure:
    """Revenue per mechanism with the first best as a dashed line, and IC violation per side."""
    rows = [r for r in result.rows if r.ran and r.name != "first_best"]
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax_rev, ax_ic = fig.subplots(1, 2)
    names = [r.name for r in rows]
    x = np.arange(len(rows))
    ax_rev.bar(x, [r.revenue for r in rows], yerr=[2 * (r.stderr or 0.0) for r in rows], color="tab:blue",
               capsize=3)
    best = next((r for r in result.rows if r.name == "first_best" and r.ran), None)
    if best is not None:
        ax_rev.axhline(best.revenue, ls="--", color="k", lw=1, label="first best (gains from trade)")
        ax_rev.legend(loc="upper right", fontsize=8)
    ax_rev.set_xticks(x, names, rotation=30, ha="right")
    ax_rev.set_ylabel("expected revenue")
    ax_rev.set_title("revenue (± 2 s.e.)")
    width = 0.4
    for shift, side, colour in ((-width / 2, "buyers", "tab:orange"), (width / 2, "sellers", "tab:green")):
        vals = [getattr(r, f"ic_violation_{side}") or 0.0 for r in rows]
        ax_ic.bar(x + shift, vals, width, label=side, color=colour)
    ax_ic.set_xticks(x, names, rotation=30, ha="right")
    ax_ic.set_ylabel("best misreport gain")
    ax_ic.set_title("IC violation")
    ax_ic.legend(fontsize=8)
    s = result.setting
    fig.suptitle(f"double auction: {s.buyers} buyers, {s.sellers} sellers, values {s.values.family}, "
                 f"costs {s.costs.family}" + (f", K = {s.grid}" if s.grid else ""), fontsize=10)
    return fig
