"""RochetNet (DESIGN §3): a menu of K items trained by stochastic gradient ascent.

u(x) = max(0, max_k <a_k, x> - p_k), a_k = map(r_k) in B (:mod:`neural.allocation_maps`:
mid + half tanh(r_k) for a box, softmax(r_k) V over the vertices of any other polytope),
p_k = <a_k, z> + softplus(q_k) with z the setting's pin: u(z) = 0 exactly, and every
parameter value is a strategyproof, IR menu. Item k earns s_k - <a_k, phi(x) - z> from
type x (s_k = p_k - <a_k, z>, phi(x) = c + alpha (x - c), c the belief). Everything is
in the unit-box coordinates of the setting (``setting.B``, ``setting.pin``, ``setting.c``). Adam maximizes the
softmax-weighted profit (annealed temperature; no trade takes part with utility and
profit 0) on fresh batches; evaluation, early stopping and the bound use the hard max,
which the softmax objective overstates. :func:`net_bound` evaluates the trained menu
exactly with :func:`solvers.menu_profit.evaluate_menu`, like LP menus.

Speed: objective and gradient are one fused pass (:class:`_SoftProfit`) over row chunks
that stay in cache, with exponents clamped at -60 (exp of large negative float32
arguments takes a slow path, 10x slower here; e^-60 is nothing next to 1): 6x autograd.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.stats import qmc

from grids import Allocations, InvalidInput, ProductDistribution, Setting
from neural.allocation_maps import allocation_map
from neural.progress import training_bar

EXP_FLOOR = -60.0       # softmax exponents are clamped here (e^-60 ~ 1e-26: no effect, much faster)
CHUNK_ENTRIES = 2**18   # batch rows x items handled at once (1 MiB of float32: stays in cache)
PRICE_MARGIN = 1e-15    # added to float64 prices so that <a_k, c> - p_k <= 0 in any summation order


@dataclass(frozen=True)
class TrainConfig:
    """How to train; the defaults reach 99.9% of the k = 64 LP menu profit on amm2d in ~6 s (2-core CPU).

    For ``init="lp"`` a smaller step and a sharper softmax keep the good start:
    ``lr=0.005, temperature=300, temperature_final=3000`` (tests/benchmarks/bench_rochetnet.py).
    """

    menu_size: int = 1024                     # K items (the no-trade item is extra and fixed)
    temperature: float = 100.0                # softmax temperature at the first step ...
    temperature_final: float | None = 1000.0  # ... annealed geometrically to this (None: constant)
    steps: int = 1000
    batch_size: int = 1024                    # fresh types per step
    lr: float = 0.02                          # Adam step size ...
    lr_schedule: str = "cosine"               # ... "cosine" down to lr * lr_final, or "constant"
    lr_final: float = 0.01
    seed: int = 0                             # everything random derives from it
    device: str = "auto"                      # "auto" (CUDA when available), "cpu" or "cuda"
    eval_every: int = 100                     # hard-max profit on the held-out types every this many steps
    patience: int | None = None               # stop after this many steps without a new held-out best; None:
                                              # steps // 2 (annealed runs stall for up to ~45%), 0: never
    holdout_size: int = 2**16                 # held-out types (scrambled Sobol points for product laws)
    init: str = "random"                      # "random" or "lp" (see train_rochetnet)
    init_scale: float = 2.0                   # random init: a_k = tanh(N(0, init_scale^2)) scaled into B
    init_noise: float = 0.01                  # lp init: allocation noise of the copies
    time_limit: float = math.inf              # training seconds (a finite one makes results timing-dependent)
    threads: int | None = 1                   # torch CPU threads while training (None: leave torch's setting)

    def __post_init__(self) -> None:
        ints = ("menu_size", "steps", "batch_size", "eval_every", "holdout_size")
        if any(getattr(self, f) < 1 for f in ints) or (self.patience or 0) < 0 or (self.threads or 1) < 1:
            raise InvalidInput(f"{', '.join(ints)} must be >= 1 and patience >= 0: {self}")
        if not (self.temperature > 0 and self.lr > 0 and 0 < self.lr_final <= 1 and self.init_scale > 0
                and self.init_noise >= 0 and self.time_limit > 0
                and (self.temperature_final is None or self.temperature_final > 0)):
            raise InvalidInput(f"temperatures, lr, init_scale, time_limit must be positive, lr_final in (0, 1], "
                               f"init_noise >= 0: {self}")
        for name, known in (("lr_schedule", ("cosine", "constant")), ("init", ("random", "lp")),
                            ("device", ("auto", "cpu", "cuda"))):
            if getattr(self, name) not in known:
                raise InvalidInput(f"{name} = {getattr(self, name)!r}; known: {', '.join(known)}")

    def schedule(self, step: int) -> tuple[float, float]:
        """(lr, temperature) at ``step`` (0-based)."""
        frac = step / max(1, self.steps - 1)
        lr = self.lr
        if self.lr_schedule == "cosine":
            lr *= self.lr_final + (1 - self.lr_final) * 0.5 * (1 + math.cos(math.pi * frac))
        t1 = self.temperature if self.temperature_final is None else self.temperature_final
        return lr, self.temperature * (t1 / self.temperature) ** frac


@dataclass(frozen=True, eq=False)
class TrainResult:
    """The trained menu (float64, K items) and how training went.

    history: (step, seconds, held-out hard-max profit) per evaluation, step 0 = the initial
    net. train_seconds: wall time of :func:`train_rochetnet` (callbacks
    excluded). best_step: the evaluation whose net is returned.
    """

    allocations: np.ndarray
    prices: np.ndarray
    history: list[tuple[int, float, float]]
    train_seconds: float
    device: str
    setting: Setting = field(repr=False)
    config: TrainConfig = field(repr=False)
    best_step: int = 0
    init_seconds: float = 0.0


class _SoftProfit(torch.autograd.Function):
    """Mean over types of J = sum_k w_k P_k, w = softmax(T [U, 0]), with its gradient.

    U_k = <a_k, x - c> - s_k, P_k = s_k - <a_k, phi - c>. With G = T w (P - J):
    dJ/da_k = G_k (x - c) - w_k (phi - c), dJ/ds_k = w_k - G_k. The gradient is summed in
    the forward pass, so no batch x items tensor outlives its chunk.
    """

    @staticmethod
    def forward(ctx, a, s, xc, phic, temperature):  # noqa: D102
        ga, gs, total = torch.zeros_like(a), torch.zeros_like(s), torch.zeros((), dtype=torch.float64, device=a.device)
        rows = max(1, CHUNK_ENTRIES // a.shape[0])
        for i in range(0, xc.shape[0], rows):
            x, ph = xc[i:i + rows], phic[i:i + rows]
            e = torch.addmm(s, x, a.T, beta=-1)                       # U
            m = e.amax(1, keepdim=True).clamp_min_(0)
            e.sub_(m).mul_(temperature).clamp_(min=EXP_FLOOR).exp_()
            w = e.div_(e.sum(1, keepdim=True) + torch.exp((-temperature * m).clamp_(min=EXP_FLOOR)))
            g = torch.addmm(s, ph, a.T, alpha=-1)                     # P
            j = (w * g).sum(1, keepdim=True)
            total += j.sum(dtype=torch.float64)
            g.sub_(j).mul_(w).mul_(temperature)                       # G
            ga += g.T @ x - w.T @ ph
            gs += w.sum(0) - g.sum(0)
        ctx.save_for_backward(ga / xc.shape[0], gs / xc.shape[0])
        return (total / xc.shape[0]).to(a.dtype)

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        ga, gs = ctx.saved_tensors
        return grad * ga, grad * gs, None, None, None


class RochetNet(torch.nn.Module):
    """K menu items with allocations in B and prices p_k >= <a_k, z> (so u(z) = 0 at the pin z).

    ``c`` is the pin z (the belief for a market maker, the lower corner for a monopolist).
    """

    def __init__(self, menu_size: int, B: Allocations, c: np.ndarray, dtype=torch.float32):
        super().__init__()
        self.map = allocation_map(B, dtype)
        self.raw_alloc = torch.nn.Parameter(torch.zeros(menu_size, self.map.raw_size, dtype=dtype))
        self.raw_premium = torch.nn.Parameter(torch.zeros(menu_size, dtype=dtype))
        self.register_buffer("c", torch.as_tensor(np.asarray(c, dtype=np.float64), dtype=dtype))

    def allocations(self) -> torch.Tensor:
        return self.map(self.raw_alloc)

    def premiums(self) -> torch.Tensor:
        """s_k = p_k - <a_k, z> = softplus(q_k) >= 0."""
        return torch.nn.functional.softplus(self.raw_premium)

    def set_menu(self, alloc: np.ndarray, premium: np.ndarray) -> None:
        """Raw parameters for these allocations (moved 1e-4 inside B) and premiums (>= 1e-6)."""
        r = self.map.inverse(alloc)
        s = np.maximum(np.asarray(premium, dtype=np.float64), 1e-6)
        with torch.no_grad():
            self.raw_alloc.copy_(torch.as_tensor(r))
            self.raw_premium.copy_(torch.as_tensor(s + np.log(-np.expm1(-s))))  # softplus^-1

    def utility(self, x: torch.Tensor) -> torch.Tensor:
        """u(x) = max(0, max_k <a_k, x - c> - s_k): the hard max, no-trade item included."""
        return ((x - self.c) @ self.allocations().T - self.premiums()).amax(1).clamp_min(0)

    def soft_profit(self, x: torch.Tensor, phi: torch.Tensor, temperature: float = 100.0) -> torch.Tensor:
        """Mean softmax-weighted profit: the training objective (it overstates the hard-max profit)."""
        return _SoftProfit.apply(self.allocations(), self.premiums(), x - self.c, phi - self.c, float(temperature))

    @torch.no_grad()
    def profits(self, x: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
        """Profit (float64) from each type taking its best item; no trade (profit 0) if none is positive."""
        a, s, out = self.allocations(), self.premiums(), []
        rows = max(1, CHUNK_ENTRIES // a.shape[0])
        for i in range(0, x.shape[0], rows):
            xc, phc = x[i:i + rows] - self.c, phi[i:i + rows] - self.c
            best, k = torch.addmm(s, xc, a.T, beta=-1).max(1)
            prof = s[k] - (phc * a[k]).sum(1)
            out.append(torch.where(best > 0, prof, torch.zeros_like(prof)).double())
        return torch.cat(out)

    def hard_profit(self, x: torch.Tensor, phi: torch.Tensor) -> float:
        return float(self.profits(x, phi).mean())

    def menu(self) -> tuple[np.ndarray, np.ndarray]:
        """(allocations (K, n), prices (K,)) in float64, with p_k >= <a_k, z> exactly."""
        a = self.map.numpy(self.raw_alloc.detach().cpu().double().numpy())
        s = torch.nn.functional.softplus(self.raw_premium.detach().cpu().double()).numpy()
        c = self.c.cpu().double().numpy()
        return a, a @ c + s + PRICE_MARGIN * (1 + np.abs(a) @ np.abs(c))


class _Sampler:
    """Types from the setting's law: torch.rand for the uniform law, else blocks of ``dist.sample``."""

    def __init__(self, setting: Setting, seed: np.random.SeedSequence, device: torch.device):
        self.setting, self.device, self.block = setting, device, torch.empty(0, setting.n, device=device)
        self.rng = np.random.default_rng(seed)
        self.gen = torch.Generator(device=device).manual_seed(int(seed.generate_state(1)[0]))

    def __call__(self, size: int) -> torch.Tensor:
        s = self.setting
        if s.dist.is_uniform:
            return torch.rand(size, s.n, generator=self.gen, device=self.device)
        if len(self.block) < size:
            fresh = np.asarray(s.dist.sample(self.rng, max(16 * size, 2**16), s.n)).reshape(-1, s.n)
            self.block = torch.cat([self.block, torch.as_tensor(fresh, dtype=torch.float32, device=self.device)])
        out, self.block = self.block[:size], self.block[size:]
        return out

    def holdout(self, size: int) -> torch.Tensor:
        """Scrambled Sobol points mapped by inverse CDFs (product laws: far less noise than
        i.i.d. types), else a resample of the sample file."""
        dist = self.setting.dist
        if not isinstance(dist, ProductDistribution):
            return self(size)
        q = qmc.Sobol(self.setting.n, seed=self.rng).random_base2(math.ceil(math.log2(size)))[:size]
        return torch.as_tensor(dist.transform_unit(q), dtype=torch.float32, device=self.device)


def _initial_menu(setting: Setting, cfg: TrainConfig, init_menu, rng: np.random.Generator):
    """(allocations, premiums) of the K starting items."""
    B, c, K, n = setting.B, setting.pin, cfg.menu_size, setting.n

    def reach(a):  # max over the unit type box of <a, x - z>
        return np.maximum(a * (0 - c), a * (1 - c)).sum(axis=1)

    if cfg.init == "random" and init_menu is None:
        a = allocation_map(B, torch.float64).random(rng, K, cfg.init_scale)
        return a, rng.random(K) * reach(a)          # every item beats no trade for some types
    if init_menu is None:
        raise InvalidInput("init='lp' starts from a given menu: pass init_menu=(allocations, prices), e.g. "
                           "the menu of solvers.solve(setting, 16).menu() (neural/ never calls the solver itself)")
    p0 = np.asarray(init_menu[1], dtype=np.float64).ravel()
    a0 = np.asarray(init_menu[0], dtype=np.float64).reshape(len(p0), n)
    keep = np.abs(a0).max(axis=1) > 0                # no trade is always there
    a0, s0 = a0[keep], np.maximum(p0[keep] - a0[keep] @ c, 0.0)
    if not 1 <= len(s0) <= K:
        raise InvalidInput(f"the initial menu has {len(s0)} trading items; need 1 to menu_size = {K}")
    idx = np.arange(K) % len(s0)
    noise = cfg.init_noise * (np.arange(K) >= len(s0))[:, None]
    a = B.retract(a0[idx] + noise * rng.standard_normal((K, n)))
    return a, s0[idx] + reach(a - a0[idx])          # a copy gives no type more than its original


def train_rochetnet(setting: Setting, config: TrainConfig | None = None, *, init_menu=None,
                    progress: bool = True, callback=None) -> TrainResult:
    """Train a RochetNet on ``setting``; return the best net on the held-out types.

    ``init="lp"`` (or any ``init_menu``) starts from a menu of m trading items:
    ``init_menu = (allocations, prices)`` in the setting's unit-box coordinates, such as an LP
    menu (``solvers.solve(setting, 16).unit_menu()``, the same as ``.menu()`` on the unit type
    box; this module never calls the solver itself).
    Items j < m are that menu (allocations clipped 1e-4 inside B); the others repeat it
    cyclically with N(0, init_noise^2) allocation noise and the premium raised by the
    most the noise could add to any type's utility, so no copy is preferred and the
    initial net earns what the given menu earns; training then refines it.
    ``callback(step, seconds, net)`` runs after each evaluation; its time is not counted.

    CPU training uses ``config.threads`` torch threads (then restores the setting): the
    work is memory-bound, so 2 threads were only 10% faster than 1 on the idle 2-core
    machine, and 17-35x slower than 1 while another process was busy on it (OpenMP
    barriers waiting for descheduled threads).
    """
    cfg = config or TrainConfig()
    with torch_threads(cfg.threads):
        return _train(setting, cfg, init_menu, progress, callback)


@contextlib.contextmanager
def torch_threads(n: int | None):
    old = torch.get_num_threads()
    torch.set_num_threads(n or old)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _train(setting: Setting, cfg: TrainConfig, init_menu, progress: bool, callback) -> TrainResult:
    t_start, paused = time.perf_counter(), 0.0
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise InvalidInput("device 'cuda' asked for, but torch sees no CUDA device")
    device = torch.device("cuda" if cfg.device != "cpu" and torch.cuda.is_available() else "cpu")
    seeds = np.random.SeedSequence(cfg.seed).spawn(3)
    net = RochetNet(cfg.menu_size, setting.B, setting.pin).to(device)
    net.set_menu(*_initial_menu(setting, cfg, init_menu, np.random.default_rng(seeds[0])))
    init_seconds = time.perf_counter() - t_start
    sample, alpha = _Sampler(setting, seeds[1], device), setting.alpha
    c = torch.as_tensor(setting.c, dtype=net.c.dtype, device=device)  # the belief: phi(x) = c + alpha (x - c)
    x_hold = _Sampler(setting, seeds[2], device).holdout(cfg.holdout_size)
    phi_hold = c + alpha * (x_hold - c)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    history, best, best_step, best_state = [], -math.inf, 0, None
    patience = cfg.steps // 2 if cfg.patience is None else cfg.patience
    show = training_bar("rochetnet", cfg.steps, cfg.time_limit, progress)

    def elapsed() -> float:
        _ = device.type == "cuda" and torch.cuda.synchronize()
        return time.perf_counter() - t_start - paused

    for step in range(cfg.steps + 1):
        if step > 0:
            lr, temp = cfg.schedule(step - 1)
            for group in opt.param_groups:
                group["lr"] = lr
            x = sample(cfg.batch_size)
            opt.zero_grad(set_to_none=True)
            (-net.soft_profit(x, c + alpha * (x - c), temp)).backward()
            opt.step()
        over = time.perf_counter() - t_start - paused >= cfg.time_limit
        if step % cfg.eval_every and step != cfg.steps and not over:
            continue
        value, seconds = net.hard_profit(x_hold, phi_hold), elapsed()
        history.append((step, seconds, value))
        if value > best:
            best, best_step, best_state = value, step, copy.deepcopy(net.state_dict())
        show(step, seconds, held_out=value, best=best)
        if callback is not None:
            t0 = time.perf_counter()
            callback(step, seconds, net)
            paused += time.perf_counter() - t0
        if (patience and step - best_step >= patience) or over:
            break
    show(None)
    net.load_state_dict(best_state)
    return TrainResult(*net.menu(), history, elapsed(), str(device), setting, cfg, best_step, init_seconds)


def net_menu(result: TrainResult, sample_size: int = 2**20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The items that some of ``sample_size`` fresh types chooses (float64 hard max).

    Dropping the others keeps the exact evaluator fast. The pruned menu is a menu in its
    own right (u(c) = 0, IR), so its exact profit is a lower bound too; it can differ from
    the full net's by the mass of regions no sampled type falls in.
    """
    s, a, p = result.setting, result.allocations, result.prices
    x = torch.as_tensor(np.asarray(s.dist.sample(np.random.default_rng(seed), sample_size, s.n)).reshape(-1, s.n),
                        dtype=torch.float64)
    at, pt, chosen = torch.as_tensor(a), torch.as_tensor(p), torch.zeros(len(p), dtype=torch.bool)
    rows = max(1, CHUNK_ENTRIES // len(p))
    with torch_threads(result.config.threads):
        for i in range(0, len(x), rows):
            best, k = torch.addmm(pt, x[i:i + rows], at.T, beta=-1).max(1)
            chosen[k[best > 0]] = True
    return a[chosen.numpy()], p[chosen.numpy()]


def net_bound(setting: Setting, result: TrainResult, **kwargs):
    """Exact continuous profit of :func:`net_menu` (a true lower bound): a ``MenuProfit``."""
    from solvers.menu_profit import evaluate_menu

    return evaluate_menu(setting, *net_menu(result, **kwargs))
