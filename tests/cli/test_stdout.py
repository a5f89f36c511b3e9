"""Standard output belongs to the result: nothing written below Python reaches it.

Each case runs the command line in a fresh interpreter in which something
writes to file descriptor 1 while the command works, three ways: ``os.write``
on the descriptor, C's ``printf`` through ctypes (buffered in libc, not in
Python), and a plain Python ``print``. stdout must still be exactly the
result, and the noise must come out on stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOISE = ("os.write to fd 1", "printf from C", "print from Python")

# Installs a noisy HiGHS backend ("noisy") and a noisy double-auction row, then runs the CLI.
SCRIPT = textwrap.dedent("""
    import ctypes, os, sys
    from solvers import backends
    from solvers.backends.highs import HighsBackend
    import solvers.auction.compare as compare

    def noise():
        os.write(1, b"os.write to fd 1\\n")
        ctypes.CDLL(None).printf(b"printf from C\\n")
        print("print from Python")

    class Noisy(HighsBackend):
        name = "noisy"
        def solve(self):
            noise()
            return super().solve()

    backends.BACKENDS["noisy"] = Noisy
    broker = compare.ROWS["broker"]
    compare.ROWS["broker"] = lambda ctx: (noise(), broker(ctx))[1]
    from solvers.cli.main import main
    sys.exit(main(sys.argv[1:]))
""")


def run_noisy(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("args", [
    ["--setting", "amm2d", "--grid", "8", "--solver", "noisy"],
    ["--setting", "amm2d", "--grid", "8", "--solver", "noisy", "--form", "both"],
    ["--setting", "amm2d", "--grid", "8", "--solver", "noisy", "--sweep", "alpha=0,0.5", "--executor", "serial"],
    ["--setting", "da", "--mechanism", "broker"],
], ids=["one-trader", "form-both", "sweep", "double-auction"])
def test_json_stdout_is_one_document_whatever_is_written_to_fd_1(args: list[str], tmp_path: Path) -> None:
    proc = run_noisy(*args, "--json", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1 and proc.stdout.endswith("\n"), proc.stdout[:300]
    assert isinstance(json.loads(proc.stdout), dict)
    for line in NOISE:
        assert line in proc.stderr, (line, proc.stderr[-500:])
        assert line not in proc.stdout


def test_readable_summary_keeps_the_noise_out_too(tmp_path: Path) -> None:
    proc = run_noisy("--setting", "amm1d", "--grid", "8", "--solver", "noisy", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("amm1d ") and "status        optimal" in proc.stdout
    assert not any(line in proc.stdout for line in NOISE)
    assert all(line in proc.stderr for line in NOISE)


def test_descriptor_1_is_restored_after_the_command(capfd: pytest.CaptureFixture[str]) -> None:
    """In-process: the guard writes the result after restoring fd 1, and fd 1 works afterwards."""
    import os

    from solvers.cli.common import stdout_to_stderr

    with stdout_to_stderr() as out:
        os.write(1, b"inside\n")
        out.write("result\n")
    os.write(1, b"after\n")
    captured = capfd.readouterr()
    assert captured.out == "result\nafter\n"
    assert captured.err == "inside\n"


def test_highs_instances_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    """highspy 1.16 prints its banner from the constructor unless output_flag is off first."""
    from solvers.backends.highs import new_highs

    h = new_highs(time_limit=1.0)
    h.run()  # an empty model: HiGHS logs a header and a status line when logging is on
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
