"""Peak memory of whole ``solve`` command lines, the data behind :func:`grids.memory.estimated_bytes`.

    python tests/benchmarks/bench_memory.py            # the calibration runs (~25 min, up to 2.2 GB)
    python tests/benchmarks/bench_memory.py --quick    # HiGHS runs up to 20,000 points (~4 min)
    python tests/benchmarks/bench_memory.py --form measure   # one form's runs
    python tests/benchmarks/bench_memory.py --samples        # the sample-law runs (1e5 trades, ~3 min)
    python tests/benchmarks/bench_memory.py --fit      # constants of grids.memory from its calibration table

Each case is one ``python -m solvers ... --json -q`` child process; its peak
resident memory is the child's own ru_maxrss (``os.wait4``), so it counts
everything the command does: grid, LP build, backend copies, certificate,
menu profit, summary. The table prints the estimate next to the measurement.
Not part of the test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grids import memory  # noqa: E402  (after the path set-up above)
from harness import correlated_trades  # noqa: E402
from grids.memory import estimated_bytes  # noqa: E402

# (setting, k, form, solver, extra CLI arguments): the runs of grids.memory.MEMORY_CALIBRATION
C2, C3 = ("--belief", "0.25,0.375"), ("--belief", "0.25,0.375,0.5")  # off-centre c: nothing to fold
C1, MULT = ("--belief", "0.25"), ("--transport", "multipliers")
BETA = ("--dist", "beta:2,5")
TRADES = Path(tempfile.gettempdir()) / "dualmech_bench_trades.npy"  # harness.correlated_trades, seed 0
SAMPLE, KDE = ("--dist", f"samples:{TRADES}"), ("--dist", f"kde:scott:{TRADES}")
CASES: list[tuple[str, int, str, str, tuple[str, ...]]] = [
    ("amm1d", 5000, "gradient", "highs", C1), ("amm1d", 20000, "gradient", "highs", C1),
    ("amm1d", 20000, "gradient", "highs", ()), ("amm1d", 80000, "gradient", "highs", C1),
    ("amm2d", 32, "gradient", "highs", C2), ("amm2d", 64, "gradient", "highs", ()),
    ("amm2d", 64, "gradient", "highs", C2), ("amm2d", 128, "gradient", "highs", ()),
    ("amm2d", 128, "gradient", "highs", C2), ("amm2d", 192, "gradient", "highs", C2),
    ("amm2d", 256, "gradient", "highs", ()), ("amm2d", 32, "gradient", "scs", C2),
    ("amm2d", 64, "gradient", "pdlp", C2), ("amm2d", 64, "gradient", "scs", C2),
    ("amm3d", 16, "gradient", "highs", ()), ("amm3d", 16, "gradient", "highs", C3),
    ("amm3d", 24, "gradient", "highs", ()), ("amm3d", 24, "gradient", "highs", C3),
    ("amm3d", 32, "gradient", "highs", ()), ("amm3d", 32, "gradient", "highs", C3),
    ("amm1d", 5000, "measure", "highs", C1), ("amm1d", 20000, "measure", "highs", C1),
    ("amm1d", 80000, "measure", "highs", C1), ("amm2d", 64, "measure", "highs", C2),
    ("amm2d", 128, "measure", "highs", ()), ("amm2d", 128, "measure", "highs", C2),
    ("amm2d", 192, "measure", "highs", C2), ("amm2d", 256, "measure", "highs", ()),
    ("amm2d", 256, "measure", "highs", C2 + MULT), ("amm2d", 384, "measure", "highs", C2),
    ("amm2d", 512, "measure", "highs", ()), ("amm2d", 1000, "measure", "highs", ()),
    ("amm2d", 64, "measure", "scs", C2 + MULT), ("amm2d", 128, "measure", "pdlp", C2 + MULT),
    ("amm2d", 128, "measure", "scs", C2 + MULT), ("amm3d", 16, "measure", "highs", ()),
    ("amm3d", 16, "measure", "highs", C3), ("amm3d", 24, "measure", "highs", ()),
    ("amm3d", 24, "measure", "highs", C3), ("amm3d", 32, "measure", "highs", ()),
    # laws whose convexity rows row generation adds over many rounds (more rows per point)
    ("amm2d", 512, "measure", "highs", C2), ("amm2d", 256, "measure", "highs", BETA),
    ("amm2d", 512, "measure", "highs", BETA), ("monopolist2d", 512, "measure", "highs", ()),
    ("amm3d", 32, "measure", "highs", C3),
]
SAMPLE_CASES = [  # a sample law is rougher than any density: more rows per point (--samples runs these)
    ("amm2d", 128, "measure", "highs", SAMPLE), ("amm2d", 128, "measure", "highs", KDE),
    ("amm2d", 256, "measure", "highs", KDE),
]
QUICK = [c for c in CASES if (c[1] + 1) ** int(c[0][-2]) <= 20_000 and c[3] == "highs"]


def run_case(setting: str, k: int, form: str, solver: str, extra: tuple[str, ...]) -> dict:
    """One command line in a child process: its peak RSS, wall time and LP sizes."""
    cmd = [sys.executable, "-m", "solvers", "--setting", setting, "--grid", str(k), "--form", form,
           "--solver", solver, "--json", "-q", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read()
        _, code, usage = os.wait4(proc.pid, 0)  # the child's own rusage: its peak RSS alone
        wall = time.perf_counter() - t0
        err.seek(0)
        err_tail = err.read().strip().splitlines()[-1:] or [""]
    rc = os.waitstatus_to_exitcode(code)
    lines = out.strip().splitlines()
    summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    lp = summary.get("lp", {})
    return {"rc": rc, "message": err_tail[0] if rc else "", "wall_s": wall, "peak_mib": usage.ru_maxrss / 1024,
            "N": summary.get("grid", {}).get("points"), "status": summary.get("status"),
            "rows": lp.get("rows"), "columns": lp.get("columns"), "nonzeros": lp.get("nonzeros"),
            "group": lp.get("symmetry_order")}


def fit() -> None:
    """Per (form, n): the linear envelope of the HiGHS peaks with the least sum of estimate / peak.

    min sum_i N_i (a + b / G_i^e) / peak_i  s.t.  BASE + N_i (a + b / G_i^e) >= peak_i,  a, b >= 0
    over the simplex runs on densities (a = 0 in 1D, where every run is unfolded and a, b
    cannot be told apart; e = FOLD_EXPONENT of the form); then, for each first-order run and
    each sample-law run, the factor F or S on b / G^e that covers it (FIRST_ORDER_LP_FACTOR
    and SAMPLE_LP_FACTOR take the largest). estimated_bytes
    multiplies by HEADROOM. Prints MEMORY_MODELS and each case's ratio.
    """
    import numpy as np
    from scipy.optimize import linprog

    keys = sorted({(m.form, m.n) for m in memory.MEMORY_CALIBRATION})
    for form, n in keys:
        runs = [m for m in memory.MEMORY_CALIBRATION if (m.form, m.n) == (form, n)]
        cases = [m for m in runs if not m.first_order and not m.sample_law]
        coef = np.array([[(m.k + 1) ** n, (m.k + 1) ** n / m.group ** memory.FOLD_EXPONENT[form]] for m in cases])
        peak = np.array([m.peak_mib * memory.MIB for m in cases])
        res = linprog((coef / peak[:, None]).sum(axis=0), A_ub=-coef, b_ub=-(peak - memory.MEMORY_BASE),
                      bounds=[(0, 0 if n == 1 else None), (0, None)])
        a, b = res.x
        print(f'    ("{form}", {n}): MemoryModel({a:_.0f}, {b:_.0f}),')
        for m, row in zip(cases, coef):
            print(f"        {m.case:24} k={m.k:5} {m.solver:5} G={m.group:2} envelope/peak "
                  f"{(memory.MEMORY_BASE + row @ res.x) / (m.peak_mib * memory.MIB):.2f}")
        for m in runs:
            if m.first_order or m.sample_law:
                points = (m.k + 1) ** n
                need = (m.peak_mib * memory.MIB - memory.MEMORY_BASE - points * a)
                print(f"        {m.case:24} k={m.k:5} {m.solver:5} needs {'F' if m.first_order else 'S'} = "
                      f"{need / (points * b / m.group ** memory.FOLD_EXPONENT[form]):.2f}")


def main() -> None:
    if "--fit" in sys.argv:
        fit()
        return
    cases = QUICK if "--quick" in sys.argv else CASES + SAMPLE_CASES
    if "--samples" in sys.argv:
        cases = SAMPLE_CASES
    if any(c in SAMPLE_CASES for c in cases):
        correlated_trades(TRADES)
    if "--form" in sys.argv:  # one form's cases only, e.g. after a change to that form alone
        form = sys.argv[sys.argv.index("--form") + 1]
        cases = [c for c in cases if c[2] == form]
    print("| setting | k | form | solver | extra | N | rows | group | status | wall s | peak MiB | estimate MiB |")
    print("|" + "---|" * 12)
    for setting, k, form, solver, extra in cases:
        r = run_case(setting, k, form, solver, extra)
        est = estimated_bytes(int(setting[-2]), k, form, solver != "highs", r["group"] or 1,
                              sample_law=(setting, k, form, solver, extra) in SAMPLE_CASES) / memory.MIB
        print(f"| {setting} | {k} | {form} | {solver} | {' '.join(extra) or '-'} | {r['N']} | {r['rows']} | "
              f"{r['group']} | {r['status'] or 'rc ' + str(r['rc'])} | {r['wall_s']:.1f} | {r['peak_mib']:.0f} | "
              f"{est:.0f} |", flush=True)


if __name__ == "__main__":
    main()
