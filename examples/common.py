"""Shared plumbing of the example scripts: arguments, output folder, the markdown report.

Every example runs as ``python examples/NAME.py [--fast] [--out DIR]``; it
writes its PNGs and ``report.md`` to ``examples/out/NAME/`` (ignored by git)
and prints the report. ``--fast`` uses small grids and few steps (the test
suite runs every example that way).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")

EXAMPLES = Path(__file__).resolve().parent


def example_args(name: str, description: str) -> argparse.Namespace:
    """``--fast``, ``--out`` (default examples/out/NAME; created) and ``--readme-image``."""
    ap = argparse.ArgumentParser(prog=f"{name}.py", description=description)
    ap.add_argument("--fast", action="store_true", help="small grids, few steps (seconds; used by the tests)")
    ap.add_argument("--out", type=Path, default=EXAMPLES / "out" / name, help="output folder")
    ap.add_argument("--readme-image", action="store_true",
                    help=f"full mode only: also write the README's small image examples/img/{name}.png")
    args = ap.parse_args()
    args.readme_image = args.readme_image and not args.fast   # fast runs (the tests) never write into the repo
    args.out.mkdir(parents=True, exist_ok=True)
    return args


class Report:
    """A markdown report: a title, tables, figures and findings; saved as report.md and printed."""

    def __init__(self, title: str) -> None:
        self.lines: list[str] = [f"# {title}", ""]

    def text(self, text: str) -> None:
        self.lines += [text, ""]

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        fmt = lambda v: f"{v:.6g}" if isinstance(v, float) else str(v)  # noqa: E731
        self.lines.append("| " + " | ".join(headers) + " |")
        self.lines.append("|" + "---|" * len(headers))
        self.lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
        self.lines.append("")

    def figure(self, path: Path, caption: str) -> None:
        self.lines += [f"![{caption}]({Path(path).name})", ""]

    def finding(self, text: str) -> None:
        """What the example found (including disagreements with the paper)."""
        self.lines += [f"**Finding.** {text}", ""]

    def save(self, out: Path) -> Path:
        path = Path(out) / "report.md"
        path.write_text("\n".join(self.lines))
        sys.stdout.write("\n".join(self.lines) + "\n")
        return path
