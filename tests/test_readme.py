"""The README's own figures, recomputed: its example output and the numbers its prose quotes.

The README is read here, so a figure edited there without the code (or the
code without the figure) fails. Figures that are benchmarks, not tests, are
labelled in the README with the command that reproduces them (tests/README.md
lists which is which).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from reference import AMM2D_PROFIT_ALPHA0, spread_profit_1d
from solvers import solve

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def example_block() -> list[str]:
    """The lines of the README's ``$ solve --grid 64 --setting amm2d`` example, without the prompt."""
    block = re.search(r"```text\n\$ solve --grid 64 --setting amm2d\n(.*?)```", README, re.S)
    assert block, "the README's example block is gone"
    return block.group(1).rstrip("\n").split("\n")


def test_readme_example_output_is_what_the_command_prints(tmp_path: Path) -> None:
    """Every line but the timings and the simplex iteration count (HiGHS-version dependent) is printed as shown."""
    proc = subprocess.run([sys.executable, "-m", "solvers", "--grid", "64", "--setting", "amm2d", "-q"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    printed, shown = proc.stdout.rstrip("\n").split("\n"), example_block()
    assert len(printed) == len(shown)
    for got, want in zip(printed, shown):
        if want.startswith("time "):
            continue
        if want.startswith("LP "):
            got, want = (re.sub(r"[\d,]+ simplex iterations", "N simplex iterations", s) for s in (got, want))
        assert got == want


def test_readme_closed_form_matches_the_reference() -> None:
    # "closed forms: 2/9 + sqrt2/27 = 0.274601 here" and the example's "closed form 0.2746005023"
    assert f"2/9 + sqrt2/27 = {AMM2D_PROFIT_ALPHA0:.6f}" in README
    assert f"closed form      {AMM2D_PROFIT_ALPHA0:.10f}" in README


def test_readme_measure_form_figures_at_k_64() -> None:
    """'at amm2d k = 64 it gives 0.274452, against 0.2746005 for the exact optimum and 0.280861 for the gradient form'."""
    measure = solve("amm2d", grid=64, form="measure").primal.value
    gradient = solve("amm2d", grid=64).primal.value
    sentence = (f"gives {measure:.6f}, against {AMM2D_PROFIT_ALPHA0:.7f} for the exact optimum and "
                f"{gradient:.6f} for the gradient form")
    assert sentence in " ".join(README.split()), sentence


def test_readme_bundling_gain_peak_of_the_k_64_sweep() -> None:
    """'the amm2d bundling gain at k = 64 over alpha = 0, 0.05, ..., 0.9 peaks at 11.41 % at alpha = 0.5'.

    Gain = exact menu profit of the k = 64 grid menu / separate selling - 1; separate selling is two
    1D spreads, here the closed form (the README's sweep uses 1D grids of 2,048 cells, whose menu
    profit is within (2 - alpha) h^2 = 5e-7 of it: far below the 0.005 % the two decimals resolve).
    """
    alphas = np.round(np.arange(0.0, 0.9001, 0.05), 10)
    gains = [solve("amm2d", grid=64, alpha=a).menu_profit().value / (2 * spread_profit_1d(a)) - 1 for a in alphas]
    best = int(np.argmax(gains))
    assert "peaks at 11.41 % at alpha = 0.5" in " ".join(README.split())
    assert alphas[best] == 0.5 and f"{100 * gains[best]:.2f}" == "11.41"


def test_readme_type_box_example_prices() -> None:
    """The DDT type-box example's menu prices, as quoted (two decimals) at k = 32."""
    m = re.search(r"--types 4:16,4:7 --grid 32 --form gradient`\s+offers the lottery\s+\(1/2, 1\) at ([\d.]+) and the bundle at ([\d.]+)",
                  README)
    assert m, "the README's type-box example is gone"
    sol = solve("monopolist2d", 32, types="4:16,4:7", form="gradient")
    prices = {tuple(np.round(it.allocation, 6)): it.price for it in sol.menu()}
    assert f"{prices[(0.5, 1.0)]:.2f}" == m.group(1) and f"{prices[(1.0, 1.0)]:.2f}" == m.group(2)
