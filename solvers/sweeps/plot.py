"""Sweep curves: menu profit and the separate-selling baseline, and the bundling gain, against one axis."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any


def plot_sweep(result: Any, path: Path | str | None = None, x: str | None = None):
    """Two panels against ``x`` (default: the first numeric swept axis), one curve per other-axes value.

    Top: menu profit (exact, continuous types) with the separate-selling
    baseline dashed; bottom: bundling gain = menu profit / baseline - 1.
    Failed instances are left out. Returns the figure; saves it to ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    numeric = [a for a, vals in result.axes.items() if all(isinstance(v, (int, float)) for v in vals)]
    x = x or (numeric[0] if numeric else "alpha")
    others = [a for a in result.axes if a != x]
    curves: dict[tuple, list[dict]] = defaultdict(list)
    for rec in result.records:
        if rec.get("menu_profit") is not None and rec.get(x) is not None:
            curves[tuple(rec.get(a) for a in others)].append(rec)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    for label, recs in curves.items():
        recs.sort(key=lambda r: r[x])
        xs = [r[x] for r in recs]
        name = ", ".join(f"{a}={v}" for a, v in zip(others, label)) or "menu profit"
        (line,) = top.plot(xs, [r["menu_profit"] for r in recs], marker="o", ms=3, label=name)
        base = [r.get("separate_profit") for r in recs]
        if all(b is not None for b in base):
            top.plot(xs, base, ls="--", color=line.get_color(), label=f"{name}: separate selling")
            bottom.plot(xs, [100 * r["bundling_gain"] for r in recs], marker="o", ms=3, color=line.get_color(),
                        label=name)
    top.set_ylabel("expected profit")
    top.legend(fontsize=8)
    bottom.set_ylabel("bundling gain (%)")
    bottom.set_xlabel(x)
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
