"""Shared plumbing of the benchmark scripts: one case per subprocess, JSON back."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys


def parser() -> argparse.ArgumentParser:
    """--quick for small cases; the hidden --one runs a single case in this process."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    return ap


def run_case(script: str, payload: list) -> dict:
    """Run ``script --one payload`` in a fresh interpreter (its own peak memory) and parse its JSON."""
    out = subprocess.run([sys.executable, script, "--one", json.dumps(payload)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
