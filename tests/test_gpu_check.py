"""The prepared GPU check (tests/benchmarks/gpu_check.sh) cannot rot: its CPU smoke runs here.

``gpu_check.sh --cpu-smoke`` runs the same cases as on a GPU (the measure form off the
centre, RochetNet, the double-auction transformer), on the CPU with tiny sizes, through
the same shell script and Python module, and must write every row with status ``ok``.
About 15 s on the 2-core machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ("measure amm2d c=(0.25,0.375) k=16", "rochetnet amm2d", "transformer da 3x3")


def test_cpu_smoke_writes_every_row_ok(tmp_path: Path) -> None:
    out = subprocess.run(["bash", str(ROOT / "tests" / "benchmarks" / "gpu_check.sh"), "--cpu-smoke"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False,
                         env={"OUT": str(tmp_path), "PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout == ""  # with OUT set, the table goes to the file only
    table = (tmp_path / "gpu_check.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| case ")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    assert len(cells) == len(CASES), table
    for case, row in zip(CASES, cells):
        assert row[0].startswith(case), table
        assert len(row) == 6 and row[5] == "ok", table  # case, device, seconds, value, gap/IC, status
        assert row[1].startswith("cpu") and float(row[2]) > 0 and row[3] != "-", table
    gap = float(cells[0][4].split(",")[0].removeprefix("gap "))
    assert gap <= 1e-7, table  # solve's default gap_tol: what status optimal (the row's ok) certifies
