"""Inputs without symmetry: each form and lever on the settings users bring (markdown table). Not a test.

    python tests/benchmarks/bench_nosymmetry.py            # k = 64, 128, 256 (about 5 minutes on 2 cores)
    python tests/benchmarks/bench_nosymmetry.py --quick    # k = 64, 128 only
    python tests/benchmarks/bench_nosymmetry.py --k 512    # one size (long: tens of minutes)

Each case is one ``python -m solvers ... --json -q`` process under ``/usr/bin/time``
(wall seconds and peak RSS of the whole command), with a per-case timeout; a case
that fails or times out is a row with its status. The settings: amm2d with
c = (1/4, 3/8), amm2d with beta:2,5 types, monopolist2d (symmetry group of order
2 at most) and amm3d with c = (1/4, 3/8, 1/2); the levers: the default path
(``form="auto"``), the gradient form cold and with the coarse warm start, the
measure form (convexity rows generated when violated) with the transport LP and
with the plan read from the u-only LP's multipliers. ``--setting "amm2d 1e5
correlated trades"`` adds a sample law (harness.correlated_trades, seed 0), and
``"amm2d 1e5 trades, kde:scott"`` the same sample smoothed (grids.kernel_density); ``"amm2d density
bump"``, ``"monopolist2d triangle"`` and ``"amm3d simplex"`` add formula and polytope laws (their
measure form is the histogram mu of their cell masses). Row generation against the
measure LP with every row, and the HiGHS options, are in bench_levers.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import correlated_trades  # noqa: E402  (the benchmarks' shared plumbing)

SETTINGS = {
    "amm2d c=(1/4,3/8)": ["--setting", "amm2d", "--belief", "0.25,0.375"],
    "amm2d beta:2,5": ["--setting", "amm2d", "--dist", "beta:2,5"],
    "monopolist2d": ["--setting", "monopolist2d"],
    "amm3d c=(1/4,3/8,1/2)": ["--setting", "amm3d", "--belief", "0.25,0.375,0.5"],
}
TRADES = Path(tempfile.gettempdir()) / "dualmech_bench_trades.npy"  # harness.correlated_trades, seed 0
SAMPLES = {  # only when asked for (--setting): the gradient form takes minutes from k = 128
    "amm2d 1e5 correlated trades": ["--setting", "amm2d", "--dist", f"samples:{TRADES}"],
    "amm2d 1e5 trades, kde:scott": ["--setting", "amm2d", "--dist", f"kde:scott:{TRADES}"],
}
NOT_PRODUCTS = {  # only when asked for: formula and polytope laws, whose measure form is their histogram mu
    "amm2d density bump": ["--setting", "amm2d", "--dist", "density:exp(-8*((x1-0.3)**2+(x2-0.6)**2))"],
    "monopolist2d triangle": ["--setting", "monopolist2d", "--dist", "triangle"],
    "amm3d simplex": ["--setting", "amm3d", "--dist", "simplex"],
}
LEVERS = {
    "auto (the default path)": [],
    "gradient cold": ["--form", "gradient"],
    "gradient coarse start": ["--form", "gradient", "--warm-start", "coarse"],
    "measure, transport LP": ["--form", "measure", "--transport", "lp"],
    "measure, multipliers": ["--form", "measure", "--transport", "multipliers"],
}
SIZES_3D = {64: 16, 128: 24, 256: 32, 512: 40}  # amm3d runs at these k instead (N about 5e3, 1.6e4, 3.6e4, 6.9e4)


def run_case(setting: list[str], lever: list[str], k: int, timeout: float) -> dict:
    """One solve in its own process: status, value, gap, rounds, seconds per phase, wall and peak MiB."""
    with tempfile.NamedTemporaryFile(suffix=".time") as timing:
        cmd = ["/usr/bin/time", "-f", "%e %M", "-o", timing.name, sys.executable, "-m", "solvers", *setting,
               *lever, "--grid", str(k), "--json", "-q"]
        # its own session, so that a timeout kills the solve itself and not only /usr/bin/time
        # (an orphaned solve would run on and slow every later case)
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True) as proc:
            try:
                stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                return {"status": f"not finished in {timeout:g} s"}
        wall, peak_kb = (float(v) for v in Path(timing.name).read_text().split()[-2:])
    row: dict = {"wall_s": wall, "peak_mib": peak_kb / 1024}
    try:
        obj = json.loads(stdout)
    except json.JSONDecodeError:
        last = stderr.strip().splitlines()[-1:] or ["no output"]
        return {**row, "status": f"exit {proc.returncode}: {re.sub(r'[|]', '/', last[0])[:80]}"}
    t = obj.get("timings", {})
    return {**row, "status": obj["status"], "value": obj.get("primal_value"), "gap": obj.get("gap"),
            "rounds": obj.get("lp", {}).get("rounds"), "rows": obj.get("lp", {}).get("rows"),
            "lp_s": t.get("lp_s"), "total_s": t.get("total_s"), "warm_s": t.get("warm_s"),
            "source": obj.get("transport_source", "")}


def fmt(v: object, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="k = 64 and 128 only")
    ap.add_argument("--k", type=int, action="append", help="grid sizes (default 64, 128, 256)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per case (default 300)")
    ap.add_argument("--setting", action="append", choices=[*SETTINGS, *SAMPLES, *NOT_PRODUCTS], help="only these settings")
    ap.add_argument("--lever", action="append", choices=list(LEVERS), help="only these levers")
    ap.add_argument("--no-header", action="store_true", help="rows only (to append to an earlier table)")
    args = ap.parse_args()
    sizes = args.k or ([64, 128] if args.quick else [64, 128, 256])
    if not args.no_header:
        print("| setting | lever | k | status | value | gap | rounds | LP rows | LP s | total s | wall s | peak MiB |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    if any(name in SAMPLES for name in args.setting or ()):
        correlated_trades(TRADES)
    for name in args.setting or SETTINGS:
        setting = {**SETTINGS, **SAMPLES, **NOT_PRODUCTS}[name]
        for k in sizes:
            kk = SIZES_3D.get(k, k) if name.startswith("amm3d") else k
            for lever_name in args.lever or LEVERS:
                lever = LEVERS[lever_name]
                r = run_case(setting, lever, kk, args.timeout)
                print(f"| {name} | {lever_name} | {kk} | {r['status']} | {fmt(r.get('value'), '.10f')} | "
                      f"{fmt(r.get('gap'), '.1e')} | {fmt(r.get('rounds'), 'd')} | {fmt(r.get('rows'), ',')} | "
                      f"{fmt(r.get('lp_s'), '.2f')} | {fmt(r.get('total_s'), '.2f')} | {fmt(r.get('wall_s'), '.1f')} | "
                      f"{fmt(r.get('peak_mib'), '.0f')} |", flush=True)


if __name__ == "__main__":
    main()
