"""Every example script runs in its fast mode and writes its report and figures (so none can rot)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted(p for p in (Path(__file__).resolve().parents[1] / "examples").glob("*.py") if p.name != "common.py")


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_fast(script: Path, tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(script), "--fast", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# ") and "**Finding.**" in report
    assert list(tmp_path.glob("*.png")), "an example draws at least one figure"
