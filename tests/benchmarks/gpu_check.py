"""The prepared GPU check: three cases on one GPU, one markdown table. Not in the test run.

    bash tests/benchmarks/gpu_check.sh               # on a GPU machine (under 8 minutes on one H200)
    python tests/benchmarks/gpu_check.py --cpu-smoke # the same code path on CPU, tiny sizes (~15 s)

Cases (each in its own process with its own timeout; a failure, a timeout or a crash of
one is written as a row of the table, never an abort):

(a) ``measure``: the measure form off the centre (amm2d, belief 0.25,0.375: nothing
    folds) on the GPU backend (``--solver cupdlpx``), for k = 256, 512, 1000 in turn while
    the time budget allows (a k is skipped when the previous k's time times
    :data:`GROWTH` exceeds what is left); status, value and certified gap from ``--json``.
(b) ``rochetnet``: :func:`neural.rochetnet.train_rochetnet` with
    ``TrainConfig(device="cuda", time_limit=...)``; its menu's exact profit against the
    closed form 2/9 + sqrt2/27 (RochetNet is strategyproof by construction).
(c) ``transformer``: ``solve --setting da --buyers 3 --sellers 3 --mechanism neural
    --device cuda --train-time 60 --json``; revenue and IC violation (regret found by search).

The table (case, device, seconds, value, gap/IC, status) goes to ``$OUT/gpu_check.md``
when ``OUT`` is set (``--out`` overrides), else to stdout; it is rewritten after every
row, so a run cut short still leaves the rows it finished. Status ``ok`` means the case
ran and (for an LP) certified its gap within the tolerance; anything else is the LP's
status (``inaccurate``, ``solver_error``, ...), ``timeout``, ``failed`` or ``skipped``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BELIEF = "0.25,0.375"     # off the centre: no symmetry to fold
GROWTH = 6.0              # a k's time over the previous k's (~4x the points, first-order iterations grow too)
MIN_STEP_S = 10.0         # a case with less time than this left is skipped


@dataclass(frozen=True)
class Plan:
    """Sizes and time budgets (seconds) of one run: the GPU check or its CPU smoke."""

    device: str
    solver: str
    ks: tuple[int, ...]
    measure_s: float
    rochetnet_train_s: float
    rochetnet_s: float
    rochetnet_config: dict
    transformer_args: tuple[str, ...]
    transformer_s: float
    deadline_s: float


GPU = Plan(
    device="cuda", solver="cupdlpx", ks=(256, 512, 1000), measure_s=130.0,
    rochetnet_train_s=45.0, rochetnet_s=100.0,
    rochetnet_config={"steps": 20_000, "batch_size": 2**15, "patience": 0},
    transformer_args=("--train-time", "60"), transformer_s=160.0,
    deadline_s=400.0,  # gpu_check.sh: 40 s for pip, then this, under its outer timeout of 420 s
)
CPU_SMOKE = Plan(
    device="cpu", solver="highs", ks=(16,), measure_s=30.0,
    rochetnet_train_s=5.0, rochetnet_s=30.0,
    rochetnet_config={"steps": 5, "menu_size": 64, "batch_size": 256, "holdout_size": 1024, "eval_every": 5},
    transformer_args=("--train-steps", "2", "--train-time", "5", "--samples", "1000", "--regret-profiles", "4"),
    transformer_s=60.0, deadline_s=120.0,
)


@dataclass
class Row:
    """One line of the table."""

    case: str
    device: str
    seconds: float | None
    value: str
    gap_ic: str
    status: str

    def markdown(self) -> str:
        """The row as one markdown table line (``|`` and newlines in cells replaced)."""
        secs = "-" if self.seconds is None else f"{self.seconds:.1f}"
        cells = (self.case, self.device, secs, self.value, self.gap_ic, self.status)
        return "| " + " | ".join(str(c).replace("|", "/").replace("\n", " ") for c in cells) + " |"


@dataclass
class Table:
    """The rows so far, written to ``path`` after each (or to stdout at the end when ``path`` is None)."""

    path: Path | None
    header: list[str]
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        """Append ``row``, echo it on stderr, and rewrite the file (when there is one)."""
        self.rows.append(row)
        print(f"gpu_check: {row.markdown()}", file=sys.stderr, flush=True)
        if self.path is not None:
            self.path.write_text(self.text())

    def text(self) -> str:
        """The header lines and the table as markdown."""
        lines = [*self.header, "", "| case | device | seconds | value | gap/IC | status |",
                 "|---|---|---|---|---|---|", *(r.markdown() for r in self.rows)]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Run:
    """A finished child process: exit code (None: killed at its timeout), stdout, stderr tail, seconds."""

    rc: int | None
    stdout: str
    stderr: str
    seconds: float

    def last_json(self) -> dict | None:
        """The last line of stdout that parses as a JSON object (the CLI prints exactly one)."""
        for line in reversed(self.stdout.strip().splitlines()):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
        try:
            obj = json.loads(self.stdout)
        except ValueError:
            return None
        return obj if isinstance(obj, dict) else None

    def why(self) -> str:
        """A short reason for a failed run: its stderr's last line."""
        tail = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return (tail[-1] if tail else f"exit code {self.rc}")[-200:]


def run_child(args: list[str], timeout: float) -> Run:
    """Run ``python args`` in its own process group; kill the group at ``timeout`` seconds."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        rc: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # this child's own group (start_new_session)
        out, err = proc.communicate()
        rc = None
    return Run(rc, out, err[-4000:], time.perf_counter() - t0)


def failed_row(case: str, device: str, run: Run, timeout: float) -> Row:
    """The row of a child that timed out (status ``timeout``) or ended without its result (``failed``)."""
    if run.rc is None:
        return Row(case, device, run.seconds, "-", f"killed after {timeout:.0f} s", "timeout")
    return Row(case, device, run.seconds, "-", run.why(), "failed")


def measure_rows(plan: Plan, table: Table, deadline: float) -> None:
    """Case (a): the measure form off the centre for each k while the budget allows."""
    stop = min(deadline, time.perf_counter() + plan.measure_s)
    device = f"{plan.device} ({plan.solver})"
    last: float | None = None
    failed: str | None = None  # a k that failed or timed out: larger ones are not tried
    for k in plan.ks:
        case = f"measure amm2d c=({BELIEF}) k={k}"
        left = stop - time.perf_counter()
        if failed is not None:
            table.add(Row(case, device, None, "-", f"not tried: {failed}", "skipped"))
            continue
        if left < MIN_STEP_S or (last is not None and last * GROWTH > left):
            guess = "" if last is None else f"; about {last * GROWTH:.0f} s expected"
            table.add(Row(case, device, None, "-", f"{left:.0f} s left{guess}", "skipped"))
            continue
        run = run_child(["-m", "solvers.cli.main", "--setting", "amm2d", "--belief", BELIEF, "--grid", str(k),
                         "--form", "measure", "--solver", plan.solver, "--json", "-q"], left)
        obj = run.last_json()
        if run.rc is None or obj is None:
            table.add(failed_row(case, device, run, left))
            failed = f"k={k} {'timed out' if run.rc is None else 'failed'}"
            continue
        status = obj.get("status", "?")
        if "gap" not in obj:  # a failure document: {"status": ..., "message": ...}
            table.add(Row(case, device, run.seconds, "-", str(obj.get("message", ""))[:200], status))
            failed = f"k={k} ended {status}"
            continue
        gap = (f"gap {obj['gap']:.1e}, leftover {obj['residuals']['dual_flow_violation']:.0e}, "
               f"transport {obj.get('transport_source', '?')}")
        table.add(Row(case, device, run.seconds, f"{obj['primal_value']:.10f}", gap,
                      "ok" if status == "optimal" else status))
        last = run.seconds


def rochetnet_worker(device: str, seconds: float, config: dict) -> dict:
    """Train a RochetNet on amm2d for ``seconds`` on ``device``; its menu's exact profit (one JSON object)."""
    from grids import make_setting
    from neural.rochetnet import TrainConfig, net_bound, train_rochetnet
    from solvers.known_values import known_optimum

    setting = make_setting("amm2d")
    t0 = time.perf_counter()
    result = train_rochetnet(setting, TrainConfig(device=device, time_limit=seconds, **config), progress=False)
    bound = net_bound(setting, result)
    optimum = known_optimum(setting)
    return {"device": result.device, "train_seconds": result.train_seconds, "steps": result.history[-1][0],
            "value": bound.value, "method": bound.method, "optimum": None if optimum is None else optimum[0],
            "seconds": time.perf_counter() - t0}


def rochetnet_row(plan: Plan, table: Table, deadline: float) -> None:
    """Case (b): RochetNet on the device for a fixed training budget (in a child process)."""
    case = f"rochetnet amm2d ({plan.rochetnet_train_s:g} s budget)"
    timeout = min(plan.rochetnet_s, deadline - time.perf_counter())
    if timeout < MIN_STEP_S:
        table.add(Row(case, plan.device, None, "-", f"{timeout:.0f} s left", "skipped"))
        return
    run = run_child([str(Path(__file__).resolve()), "--worker", "rochetnet", "--device", plan.device,
                     "--seconds", str(plan.rochetnet_train_s), "--config", json.dumps(plan.rochetnet_config)],
                    timeout)
    obj = run.last_json()
    if run.rc != 0 or obj is None:
        table.add(failed_row(case, plan.device, run, timeout))
        return
    gap = f"strategyproof; {obj['steps']} steps in {obj['train_seconds']:.1f} s"
    if obj["optimum"] is not None:
        gap += f"; closed form - value = {obj['optimum'] - obj['value']:.1e}"
    table.add(Row(case, obj["device"], run.seconds, f"{obj['value']:.6f}", gap, "ok"))


def transformer_row(plan: Plan, table: Table, deadline: float) -> None:
    """Case (c): the double-auction transformer on the device for a fixed budget (the CLI)."""
    case = "transformer da 3x3 (" + " ".join(plan.transformer_args) + ")"
    timeout = min(plan.transformer_s, deadline - time.perf_counter())
    if timeout < MIN_STEP_S:
        table.add(Row(case, plan.device, None, "-", f"{timeout:.0f} s left", "skipped"))
        return
    run = run_child(["-m", "solvers.cli.main", "--setting", "da", "--buyers", "3", "--sellers", "3",
                     "--mechanism", "neural", "--device", plan.device, *plan.transformer_args, "--json", "-q"],
                    timeout)
    obj = run.last_json()
    rows = [] if obj is None else [m for m in obj.get("mechanisms", []) if m.get("name") == "neural"]
    if run.rc != 0 or not rows:
        table.add(failed_row(case, plan.device, run, timeout))
        return
    m = rows[0]
    if m.get("status") != "ok":
        table.add(Row(case, plan.device, run.seconds, "-", str(m.get("note", ""))[:200], m.get("status", "?")))
        return
    ic = f"IC violation {m['ic_violation']:.3g} ({m['ic_kind']}); {m.get('note', '')}"
    table.add(Row(case, plan.device, run.seconds, f"{m['revenue']:.6f} ± {m['stderr']:.1e}", ic, "ok"))


def header(plan: Plan, smoke: bool) -> list[str]:
    """What ran where: the mode, Python, the packages' versions, the GPUs nvidia-smi lists."""
    def version(name: str) -> str:
        """The installed version of ``name``, or ``missing``."""
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "missing"

    try:
        gpus = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20,
                              check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        gpus = ""
    gpus = gpus.replace("\n", "; ") or "none listed by nvidia-smi"
    versions = (f"python {platform.python_version()}; torch {version('torch')}; highspy {version('highspy')}; "
                f"cupdlpx {version('cupdlpx')}; GPUs: {gpus}")
    return [f"# dualmech GPU check{' (CPU smoke: tiny sizes)' if smoke else ''}", "", versions]


def main(argv: list[str] | None = None) -> int:
    """Run every case of the plan (or, with ``--worker``, one child's work) and write the table; exit 0."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cpu-smoke", action="store_true", help="the same code path on CPU with tiny sizes")
    p.add_argument("--out", type=Path, help="the table's file (default: $OUT/gpu_check.md if OUT is set, else stdout)")
    p.add_argument("--pip-status", help="how gpu_check.sh's `pip install cupdlpx` ended (a row of the table)")
    p.add_argument("--pip-seconds", type=float)
    p.add_argument("--worker", choices=("rochetnet",), help=argparse.SUPPRESS)
    p.add_argument("--device", help=argparse.SUPPRESS)
    p.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    p.add_argument("--config", default="{}", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker == "rochetnet":
        print(json.dumps(rochetnet_worker(args.device, args.seconds, json.loads(args.config))))
        return 0
    plan = CPU_SMOKE if args.cpu_smoke else GPU
    deadline = time.perf_counter() + plan.deadline_s
    path = args.out or (Path(os.environ["OUT"]) / "gpu_check.md" if os.environ.get("OUT") else None)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    table = Table(path, header(plan, args.cpu_smoke))
    if args.pip_status is not None:
        table.add(Row("pip install cupdlpx", "-", args.pip_seconds, "-", "-",
                      "ok" if args.pip_status == "ok" else args.pip_status))
    for case in (measure_rows, rochetnet_row, transformer_row):
        try:
            case(plan, table, deadline)
        except Exception as err:  # noqa: BLE001 - a bug here must still leave a row, and the other cases
            table.add(Row(case.__name__, plan.device, None, "-", f"{type(err).__name__}: {err}"[:200], "failed"))
    if path is None:
        sys.stdout.write(table.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
