"""The implied column box of the measure form, whole solves boxed and not (markdown table). Not a test.

    python tests/benchmarks/bench_column_box.py                  # every case below, k = 256 (about 15 minutes)
    python tests/benchmarks/bench_column_box.py --case kde --k 128

Each row is one ``solve_measure`` in a fresh process (so peaks do not mix), first
with ``column_box=False``, then ``True``. It reports seconds inside the solve
(imports and the law's cell masses not counted), rounds, simplex iterations,
value, gap and peak RSS. The rule these runs set is
:func:`solvers.measure.row_generation.column_box_pays`: histogram-mu laws are
boxed, product laws are not.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import correlated_trades  # noqa: E402  (the benchmarks' shared plumbing)

TRADES = Path(tempfile.gettempdir()) / "dualmech_bench_trades.npy"  # harness.correlated_trades, seed 0
OFF = [0.25, 0.375]
CASES = {  # name -> (setting, parameters)
    "kde": ("amm2d", {"dist": f"kde:scott:{TRADES}"}),
    "kde off-centre": ("amm2d", {"dist": f"kde:scott:{TRADES}", "belief": OFF}),
    "samples": ("amm2d", {"dist": f"samples:{TRADES}"}),
    "bump": ("amm2d", {"dist": "density:exp(-8*((x1-0.3)**2+(x2-0.6)**2))"}),
    "1+3x1x2": ("amm2d", {"dist": "density:1+3*x1*x2"}),
    "monopolist triangle": ("monopolist2d", {"dist": "triangle"}),
    "amm2d off-centre": ("amm2d", {"belief": OFF}),
    "beta:2,5": ("amm2d", {"dist": "beta:2,5"}),
    "monopolist2d": ("monopolist2d", {}),
    "truncnorm off-centre": ("amm2d", {"dist": "truncnorm:0.3,0.2", "belief": OFF}),
}
ONE_RUN = """
import json, resource, sys, time
from grids import make_grid, make_setting
from solvers.measure.solve import solve_measure
name, k, params, box = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4] == "1"
s = make_setting(name, **params)
g = make_grid(s, k)
t0 = time.perf_counter()
sol = solve_measure(s, g, column_box=box)
print(json.dumps({"s": time.perf_counter() - t0, "status": sol.status, "value": sol.primal.value, "gap": sol.gap,
                  "rounds": sol.stats.rounds, "it": sol.stats.iterations,
                  "mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(setting: str, k: int, params: dict, box: bool, timeout: float) -> dict:
    try:
        out = subprocess.run([sys.executable, "-c", ONE_RUN, setting, str(k), json.dumps(params), str(int(box))],
                             capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": f"not finished in {timeout:.0f} s"}
    if out.returncode:
        return {"status": f"exit {out.returncode}: {out.stderr.strip().splitlines()[-1:]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=256)
    ap.add_argument("--case", choices=list(CASES), action="append")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per solve")
    a = ap.parse_args()
    cases = a.case or list(CASES)
    if any("samples:" in p.get("dist", "") or "kde:" in p.get("dist", "") for _, p in map(CASES.get, cases)):
        correlated_trades(TRADES)
    print("| case | k | box | s | status | rounds | iterations | value | gap | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        setting, params = CASES[case]
        for box in (False, True):
            r = run(setting, a.k, params, box, a.timeout)
            if "s" not in r:
                print(f"| {case} | {a.k} | {box} | | {r['status']} | | | | | |", flush=True)
                continue
            print(f"| {case} | {a.k} | {box} | {r['s']:.1f} | {r['status']} | {r['rounds']} | {r['it']} "
                  f"| {r['value']:.10f} | {r['gap']:.1e} | {r['mib']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
