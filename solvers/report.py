"""Summaries, text tables and files of a Solution (JSON, npz arrays, PNG)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from grids import ProductDistribution

PRODUCT_RULE = ProductDistribution.weights_rule  # the usual rule; other laws' rules are printed in the summary


def json_ready(obj: Any) -> Any:
    """``obj`` as strict JSON values: arrays and tuples as lists, numpy scalars as Python ones, NaN and inf as None."""
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist())
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    return obj.item() if isinstance(obj, np.generic) else obj


if TYPE_CHECKING:
    from solvers.solution import Solution


def summary_dict(sol: "Solution", tol: float) -> dict[str, Any]:
    """The machine-readable summary (the CLI's ``--json`` object)."""
    t0 = time.perf_counter()
    menu = sol.menu(tol)
    mp = sol.menu_profit(tol)
    menu_s = time.perf_counter() - t0
    cert, stats = sol.certificate, sol.stats
    timings = {key: round(val, 6) for key, val in stats.timings.items()}
    timings["menu_s"] = round(menu_s, 6)
    return {
        "setting": sol.setting.name,
        "params": sol.setting.params(),
        "grid": {"k": sol.grid.k, "n": sol.grid.n, "points": sol.grid.size, "quadrature": sol.grid.quadrature,
                 "weights": sol.setting.dist.weights_rule},
        "solver": sol.solver,
        "form": sol.form,
        "form_reason": sol.form_reason,
        "status": sol.status,
        "primal_value": cert.primal_value,
        "dual_value": cert.dual_value,
        "dual_bound": cert.dual_bound,
        "gap": cert.gap,
        "residuals": {
            "max_pair_violation": cert.max_pair_violation,
            "primal_bound_violation": cert.primal_bound_violation,
            "dual_flow_violation": cert.dual_flow_violation,
        },
        "tolerances": dict(sol.tolerances),
        "menu_tol": menu.tol,
        "menu": [item.as_dict() for item in menu],
        "menu_profit": mp.value,
        "menu_profit_stderr": mp.stderr if np.isfinite(mp.stderr) else None,  # None: one sample, undefined
        "menu_profit_method": mp.method,
        "timings": timings,
        "lp": {"rows": stats.rows, "columns": stats.columns, "nonzeros": stats.nonzeros, "rounds": stats.rounds,
               "iterations": stats.iterations, "symmetry_order": stats.group_order},
        "bounds": [b.as_dict() for b in sol.bounds(tol)],
        "warm_start": None if sol.warm_start is None else {
            "source": sol.warm_start.source, "seconds": sol.warm_start.seconds,
            "rows": int(len(sol.warm_start.pairs_i)),
            **{key: val for key, val in sol.warm_start.info.items() if key != "menu"}},
        **sol.dual.summary_extra(sol.grid),
    }


def _fmt_alloc(a: list[float]) -> str:
    return "(" + ", ".join(f"{v:+.3f}" if v != 0 else " 0    " for v in a) + ")"


def _transport_words(source: str) -> str:
    """How the summary line names the path that produced the transport plan (``transport_source``)."""
    if source == "lp":
        return "its own LP"
    if source.startswith("multipliers"):
        return "read from the u-only LP's multipliers" + source[len("multipliers"):]
    return source


def format_summary(summary: dict[str, Any]) -> str:
    """A readable multi-line report of a summary dict (either form)."""
    p, t, lp = summary["params"], summary["timings"], summary["lp"]
    res = summary["residuals"]
    measure = summary.get("form") == "measure"
    lines = [
        f"{summary['setting']}  alpha={p['alpha']:g}  belief={p['belief']}  dist={p['dist']}  "
        + "".join(f"{key}={p[key]}  " for key in ("types", "allocations") if key in p) +
        f"k={summary['grid']['k']} ({summary['grid']['points']:,} points, {summary['grid']['quadrature']} weights)",
        *([f"weights       {rule}"] if (rule := summary["grid"].get("weights", PRODUCT_RULE)) != PRODUCT_RULE else []),
        f"status        {summary['status']}   (solver {summary['solver']}, {summary.get('form', 'gradient')} form)",
        *([f"form          {summary['form_reason']}"] if summary.get("form_reason", "").startswith("auto") else []),
        f"primal        {summary['primal_value']:.10f}   "
        + ("(u-only LP: sum_i mu_i u_i)" if measure else "(optimum of the discrete grid LP)"),
        f"dual          {summary['dual_value']:.10f}   "
        + (f"(transport cost, {_transport_words(summary.get('transport_source', 'lp'))}, recomputed from the flows)"
           if measure else "(recomputed from the multipliers)"),
        f"gap           {summary['gap']:.3e}   (certified bound {summary['dual_bound']:.10f})",
        f"residuals     {'stencil rows' if measure else 'pairs'} {res['max_pair_violation']:.1e}, "
        f"bounds {res['primal_bound_violation']:.1e}, "
        f"{'leftover mass' if measure else 'dual flow'} {res['dual_flow_violation']:.1e}",
    ]
    if measure:
        lines.append(f"transport     {summary['flow_edges']:,} edges carry flow, {summary['no_trade_cells']:,} "
                     f"no-trade cells, spread stencil radius {summary['stencil_radius']}")
    lines += [
        f"menu profit   {summary['menu_profit']:.10f}   ({summary['menu_profit_method']}"
        + (f", stderr {summary['menu_profit_stderr']:.1e}" if summary["menu_profit_stderr"] else "")
        + (", stderr undefined" if summary["menu_profit_stderr"] is None else "")
        + ", continuous types: a true lower bound)",
        "",
        f"menu ({len(summary['menu'])} items, allocations clustered within {summary['menu_tol']:g}):",
        f"  {'allocation':<28} {'price':>10} {'mass':>8}",
    ]
    for item in summary["menu"]:
        lines.append(f"  {_fmt_alloc(item['allocation']):<28} {item['price']:>10.5f} {item['mass']:>8.4f}")
    lines += ["", "bounds:"] + [
        f"  {b['name']:<16} {b['value']:.10f}" + (f" ± {b['stderr']:.1e}" if b["stderr"] else "") + f"   {b['kind']}"
        for b in summary["bounds"]]
    if summary.get("warm_start"):
        ws = summary["warm_start"]
        lines.append(f"warm start    {ws['source']}: {ws['rows']:,} initial rows, {ws['seconds']:.2f} s to produce")
    phases = ", ".join(f"{name} {t[key]:.2f}" for name, key in (
        ("build", "build_s"), ("reduced axis LP", "reduced_s"), ("primal LP", "primal_s"), ("dual LP", "dual_s"),
        ("lp", "lp_s"), ("scan", "scan_s"), ("certify", "certify_s")) if t.get(key))
    lines += [
        "",
        f"LP            {lp['rows']:,} rows x {lp['columns']:,} columns, "
        + ("" if measure else f"{lp['rounds']} cut round(s), ") + f"{lp['iterations']:,} simplex iterations"
        + (f", folded by a symmetry group of order {lp['symmetry_order']}" if lp.get("symmetry_order", 1) > 1 else ""),
        f"time          total {t['total_s']:.2f} s: {phases}; menu profit {t['menu_s']:.2f} s",
    ]
    return "\n".join(lines)


@contextlib.contextmanager
def staged_folder(directory: Path) -> Iterator[Path]:
    """A temporary folder beside ``directory`` whose files move in only if the block completes.

    A failure inside the block leaves ``directory`` as it was: nothing half-written.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        yield tmp
        directory.mkdir(parents=True, exist_ok=True)
        for item in tmp.iterdir():
            os.replace(item, directory / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def save_solution(sol: "Solution", directory: Path, tol: float, plot: bool) -> Path:
    """Write summary.json, arrays.npz and solution.png; all or nothing (:func:`staged_folder`)."""
    with staged_folder(directory) as tmp:
        summary = summary_dict(sol, tol)
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")
        user = sol.user_arrays()  # x, u, g, t in the user's units (the type box's; unit box: as solved)
        np.savez_compressed(
            tmp / "arrays.npz",
            points=user["x"], weights=sol.grid.weights, u=user["u"], g=user["g"], t=user["t"],
            menu_allocations=sol.menu(tol).allocations, menu_prices=sol.menu(tol).prices, **sol.dual.arrays(),
        )
        if plot:
            sol.plot(tmp / "solution.png")
            if sol.form == "measure" and sol.grid.n == 2:
                sol.plot(tmp / "transport.png", kind="transport")
    return Path(directory)
