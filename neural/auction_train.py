"""Training and IC measurement of the double-auction transformer (neural/auction_net.py).

Training (the paper's Algorithm 1, restated): Adam on fresh batches of truthful profiles.
Three losses: L0 = -E[profit], and per side the relaxed worst-case misreport regret

    R_side = E_batch sum_agents sum_l softmax(z)_l max(0, u(misreport_l) - u(truth)),

over L candidate misreports per agent (others truthful): stratified over [lo, hi], then
refined by a few steps of projected sign-gradient ascent on the agent's utility with the
net fixed (each candidate keeps its best iterate). The selector logits are
z = gain / (tau (hi - lo)), the maximizer of the entropy-regularized selection problem; as
tau -> 0 softmax(z) tends to the one-hot worst-case selector of the paper's Theorem 1, and
the relaxation is the paper's Theorem 2. With ``ic_agents`` = k < m only k random agents
of a side are checked per step and the sum is scaled by m / k (unbiased).

Gradient-conflict elimination (the paper's Theorem 3, PCGrad-style, :func:`eliminate_conflicts`)
combines g0 = grad L0, g1 = grad R_buyers, g2 = grad R_sellers into g0' + lam1 g1' + lam2 g2'.
The penalty weights lam1 = lam2 start at the paper's 0.5 and grow geometrically to
``penalty_final`` = 2 at the last step. Measured at 2x2 (300 steps, U[0,1]): with GCE the
schedule hardly matters (0.5 constant: revenue 0.049, expected regret 2e-4 per agent;
0.5 -> 2: 0.052, 2e-4; 0.5 -> 8: 0.033, 7e-5), because GCE already puts IC first; without
GCE the same 0.5 -> 2 leaves regret at 0.014 with revenue 0.197, above the optimal broker's
0.129 (a mechanism far from IC), and it takes 0.5 -> 32 to reach 2e-4 (revenue 0.049).

IC is measured, never assumed: :func:`regret_search` finds each agent's best misreport
by gradient ascent from a grid of starts and random restarts; always report it next to
the revenue from :func:`evaluate_auction_net`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from grids import InvalidInput
from grids.auction import AuctionSetting
from neural.auction_net import AuctionTransformer, auction_net_outcome
from neural.progress import training_bar
from neural.rochetnet import torch_threads

BUYERS, SELLERS = 0, 1
SEARCH_CHUNK = 2**12  # deviation profiles per forward pass in regret_search (memory of the backward pass)


@dataclass(frozen=True)
class AuctionNetConfig:
    """Net size and training schedule. The defaults suit CPU training of small markets.

    The paper's net is ``d_model=256, heads=4, layers=4`` (with, say, ``ff=1024``; train it
    on CUDA: its layers cost 16-30x the default's per token).
    """

    d_model: int = 64
    heads: int = 4
    layers: int = 2
    ff: int = 128                          # feed-forward width of each transformer layer
    gap_weight: float = 8.0                # initial weight of the bid-ask gap in the matching scores
    steps: int = 1000
    batch_size: int = 64                   # fresh truthful profiles per step
    lr: float = 1e-3                       # Adam step size ...
    lr_final: float = 0.1                  # ... cosine-annealed to lr * lr_final
    candidates: int = 4                    # L misreports per checked agent
    misreport_steps: int = 2               # sign-gradient refinements of the misreports per step
    ic_agents: int | None = None           # agents per side checked per step (None: all)
    selector_temperature: float = 0.01     # tau of the softmax over candidates, in units of hi - lo
    penalty: float = 0.5                   # lam1 = lam2 at the first step (the paper's 0.5) ...
    penalty_final: float | None = 2.0      # ... growing geometrically to this at the last (None: constant)
    gce: bool = True                       # gradient-conflict elimination (False: plain sum, the ablation)
    seed: int = 0
    device: str = "auto"                   # "auto" (CUDA when available), "cpu" or "cuda"
    eval_every: int = 50                   # history entry (and progress line) every this many steps
    time_limit: float = math.inf           # training seconds (a finite one makes results timing-dependent)
    threads: int | None = 1                # torch CPU threads while training (None: leave torch's setting)

    def __post_init__(self) -> None:
        ints = ("d_model", "heads", "layers", "ff", "steps", "batch_size", "candidates", "eval_every")
        if any(getattr(self, f) < 1 for f in ints) or self.misreport_steps < 0 \
                or (self.ic_agents is not None and self.ic_agents < 1) or (self.threads or 1) < 1:
            raise InvalidInput(f"{', '.join(ints)}, ic_agents, threads must be >= 1, misreport_steps >= 0: {self}")
        if self.d_model % self.heads:
            raise InvalidInput(f"d_model = {self.d_model} must be a multiple of heads = {self.heads}")
        if not (self.lr > 0 and 0 < self.lr_final <= 1 and self.selector_temperature > 0 and self.penalty >= 0
                and (self.penalty_final is None or self.penalty_final >= 0) and self.time_limit > 0):
            raise InvalidInput(f"lr, selector_temperature, time_limit must be positive, lr_final in (0, 1], "
                               f"penalties >= 0: {self}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise InvalidInput(f"device = {self.device!r}; known: auto, cpu, cuda")

    def schedule(self, step: int) -> tuple[float, float]:
        """(lr, penalty weight) at ``step`` (0-based)."""
        frac = step / max(1, self.steps - 1)
        lr = self.lr * (self.lr_final + (1 - self.lr_final) * 0.5 * (1 + math.cos(math.pi * frac)))
        if self.penalty_final is None or self.penalty == 0:
            return lr, self.penalty
        return lr, self.penalty * (self.penalty_final / self.penalty) ** frac


@dataclass(frozen=True, eq=False)
class AuctionNetResult:
    """The trained net (eval mode, on the training device) and how training went.

    history: (step, seconds, batch profit, relaxed regret buyers, sellers, penalty weight)
    every ``eval_every`` steps, measured on the training batch before that step's update.
    """

    net: AuctionTransformer
    history: list[tuple[int, float, float, float, float, float]]
    train_seconds: float
    device: str
    setting: AuctionSetting = field(repr=False)
    config: AuctionNetConfig = field(repr=False)
    steps: int = 0

    def mechanism(self, setting: AuctionSetting | None = None):
        """(bids, asks) -> (q, buyer_pay, r, seller_recv) torch tensors, with ``setting``'s
        capacities and bounds (default: the training setting)."""
        return _net_mechanism(self.net, setting or self.setting)


def _net_mechanism(net: AuctionTransformer, s: AuctionSetting):
    p = next(net.parameters())
    dem, sup = (torch.as_tensor(c, dtype=p.dtype, device=p.device) for c in (s.demand, s.supply))
    bounds = (s.values.lo, s.values.hi, s.costs.lo, s.costs.hi)

    def mech(bids, asks):
        out = net(bids, asks, dem, sup, bounds)
        return out.buyer_units, out.buyer_pay, out.seller_units, out.seller_recv
    return mech


def _project_out(g: torch.Tensor, onto: torch.Tensor) -> torch.Tensor:
    """g minus its component along ``onto`` if they conflict (negative inner product), else g."""
    dot, norm2 = torch.dot(g, onto), torch.dot(onto, onto)
    return g - (dot / norm2) * onto if dot < 0 and norm2 > 0 else g


def eliminate_conflicts(g0: torch.Tensor, g1: torch.Tensor, g2: torch.Tensor,
                        rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradient-conflict elimination (the paper's Theorem 3) on flat gradient vectors.

    IC first: if g1, g2 conflict, one of them (picked at random) is projected onto the
    normal plane of the other, so <g1', g2'> >= 0. Then the profit gradient g0 is projected
    against g1' and g2' in random order wherever it conflicts. The second projection keeps
    the first one's result: if g0' is moved along -g_b to remove its conflict with g_b,
    <g0'', g_a> = <g0', g_a> - (<g0', g_b> / |g_b|^2) <g_b, g_a> >= 0 because <g0', g_b> < 0
    and <g_b, g_a> >= 0. So afterwards no pair has a negative inner product (up to rounding),
    and gradients that did not conflict come back unchanged. Zero vectors never conflict.
    """
    if rng.random() < 0.5:
        g1 = _project_out(g1, g2)
    else:
        g2 = _project_out(g2, g1)
    for g in ((g1, g2) if rng.random() < 0.5 else (g2, g1)):
        g0 = _project_out(g0, g)
    return g0, g1, g2


def _deviations(bids, asks, side: int, agents: torch.Tensor, reports: torch.Tensor):
    """Profiles (P*A*C rows) where agent agents[a] of ``side`` reports reports[p, a, c], others truthful."""
    p, a, c = reports.shape
    own, other = (bids, asks) if side == BUYERS else (asks, bids)
    pick = torch.nn.functional.one_hot(agents, own.shape[1]).to(own.dtype)[None, :, None, :]
    dev = own[:, None, None, :] * (1 - pick) + reports[..., None] * pick
    dev = dev.reshape(p * a * c, -1)
    rest = other[:, None, None, :].expand(p, a, c, -1).reshape(p * a * c, -1)
    return (dev, rest) if side == BUYERS else (rest, dev)


def _utilities(side: int, truth, units, money):
    """u = value q - pay (buyers) or recv - cost r (sellers), broadcasting truth against units."""
    return truth * units - money if side == BUYERS else money - truth * units


def _deviation_utility(mech, bids, asks, side: int, agents: torch.Tensor, reports: torch.Tensor):
    """Utility (P, A, C) of agent agents[a] (true type from the profile) reporting reports[p, a, c]."""
    p, a, c = reports.shape
    q, pay, r, recv = mech(*_deviations(bids, asks, side, agents, reports))
    units, money = (q, pay) if side == BUYERS else (r, recv)
    idx = agents[None, :, None, None].expand(p, a, c, 1)
    units, money = (t.view(p, a, c, -1).gather(-1, idx).squeeze(-1) for t in (units, money))
    truth = (bids if side == BUYERS else asks)[:, agents]
    return _utilities(side, truth[..., None], units, money)


def _ascend(utility, reports: torch.Tensor, lo: float, hi: float, steps: int, step0: float, step1: float):
    """Projected sign-gradient ascent of ``utility`` (elementwise in the reports) from ``reports``.

    The step shrinks geometrically from step0 to step1; every element keeps its best
    iterate (the starts included). Returns (best reports, best utilities), both detached.
    """
    r = reports.detach().clamp(lo, hi)
    best_r = best_u = None
    for t in range(steps + 1):
        r.requires_grad_(t < steps)
        u = utility(r)
        if best_u is None:
            best_r, best_u = r.detach().clone(), u.detach()
        else:
            better = u.detach() > best_u
            best_r, best_u = torch.where(better, r.detach(), best_r), torch.where(better, u.detach(), best_u)
        if t < steps:
            (g,) = torch.autograd.grad(u.sum(), r)
            size = step0 * (step1 / step0) ** (t / max(1, steps - 1))
            r = (r.detach() + size * g.sign()).clamp(lo, hi)
    return best_r, best_u


def _side_bounds(setting: AuctionSetting, side: int) -> tuple[float, float, int]:
    law = setting.values if side == BUYERS else setting.costs
    return float(law.lo), float(law.hi), setting.buyers if side == BUYERS else setting.sellers


def _device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise InvalidInput("device 'cuda' asked for, but torch sees no CUDA device")
    return torch.device("cuda" if name != "cpu" and torch.cuda.is_available() else "cpu")


def train_auction_net(setting: AuctionSetting, config: AuctionNetConfig | None = None, *,
                      progress: bool = True) -> AuctionNetResult:
    """Train the transformer on ``setting`` (maximize profit, penalize relaxed regret).

    Deterministic for a fixed ``config.seed`` on the CPU (initial weights from a forked torch
    generator, profiles and misreport starts from numpy generators: no global state is used
    or changed). Progress goes to stderr every ``eval_every`` steps. Returns the final net.
    """
    cfg = config or AuctionNetConfig()
    with torch_threads(cfg.threads):
        return _train(setting, cfg, progress)


def _train(setting: AuctionSetting, cfg: AuctionNetConfig, progress: bool) -> AuctionNetResult:
    t_start = time.perf_counter()
    device = _device(cfg.device)
    seeds = np.random.SeedSequence(cfg.seed).spawn(3)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seeds[0].generate_state(1)[0]))
        net = AuctionTransformer(cfg.d_model, cfg.heads, cfg.layers, cfg.ff, cfg.gap_weight)
    net.to(device).train()
    sample_rng, misreport_rng = np.random.default_rng(seeds[1]), np.random.default_rng(seeds[2])
    mech, params = _net_mechanism(net, setting), [p for p in net.parameters()]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    history, m, n = [], setting.buyers, setting.sellers

    def tensor(x):
        return torch.as_tensor(x, dtype=torch.float32, device=device)

    show = training_bar("auction net", cfg.steps, cfg.time_limit, progress)
    step = 0
    for step in range(cfg.steps):
        lr, lam = cfg.schedule(step)
        for group in opt.param_groups:
            group["lr"] = lr
        bids = tensor(setting.values.sample(sample_rng, (cfg.batch_size, m)))
        asks = tensor(setting.costs.sample(sample_rng, (cfg.batch_size, n)))
        q, pay, r, recv = mech(bids, asks)
        profit = (pay.sum(1) - recv.sum(1)).mean()
        losses = [-profit]
        for side, (units, money) in ((BUYERS, (q, pay)), (SELLERS, (r, recv))):
            losses.append(_relaxed_regret(cfg, setting, mech, bids, asks, side, units, money, misreport_rng))
        grads = [_flat_grad(loss, params) for loss in losses]
        if cfg.gce:
            grads = list(eliminate_conflicts(*grads, misreport_rng))
        total = grads[0] + lam * (grads[1] + grads[2])
        offset = 0
        for p in params:
            p.grad = total[offset:offset + p.numel()].view_as(p).to(p.dtype)
            offset += p.numel()
        opt.step()
        seconds = time.perf_counter() - t_start
        if step % cfg.eval_every == 0 or step == cfg.steps - 1 or seconds >= cfg.time_limit:
            figures = [v.detach().item() for v in (profit, losses[1], losses[2])]
            history.append((step, seconds, *figures, lam))
            show(step + 1, seconds, profit=figures[0], regret_buyers=figures[1], regret_sellers=figures[2])
        if seconds >= cfg.time_limit:
            break
    show(None)
    net.eval()
    for p in params:
        p.requires_grad_(False)
    _ = device.type == "cuda" and torch.cuda.synchronize()
    return AuctionNetResult(net, history, time.perf_counter() - t_start, str(device), setting, cfg, step + 1)


def _flat_grad(loss: torch.Tensor, params) -> torch.Tensor:
    """d loss / d params as one float64 vector (zeros where a parameter is unused)."""
    grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
    return torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1).double() for g, p in zip(grads, params)])


def _relaxed_regret(cfg, setting, mech, bids, asks, side, units, money, rng):
    """sum over checked agents (scaled to all) of sum_l softmax(z)_l max(0, gain_l), batch mean."""
    lo, hi, count = _side_bounds(setting, side)
    k = count if cfg.ic_agents is None else min(cfg.ic_agents, count)
    agents = np.sort(rng.choice(count, size=k, replace=False)) if k < count else np.arange(count)
    agents = torch.as_tensor(agents, device=bids.device)
    big_l, batch = cfg.candidates, bids.shape[0]
    starts = lo + (hi - lo) * (np.arange(big_l) + rng.random((batch, k, big_l))) / big_l
    spacing = (hi - lo) / big_l

    def utility(rep):
        return _deviation_utility(mech, bids, asks, side, agents, rep)

    misreports, _ = _ascend(utility, torch.as_tensor(starts, dtype=bids.dtype, device=bids.device), lo, hi,
                            cfg.misreport_steps, spacing / 2, spacing / 20)
    truth = (bids if side == BUYERS else asks)[:, agents]
    u_true = _utilities(side, truth, units[:, agents], money[:, agents])
    gain = utility(misreports) - u_true[..., None]
    weights = torch.softmax(gain.detach() / (cfg.selector_temperature * (hi - lo)), dim=-1)
    return (weights * gain.clamp_min(0)).sum(-1).sum(-1).mean() * (count / k)


def evaluate_auction_net(setting: AuctionSetting, result: AuctionNetResult, samples: int = 100_000, seed: int = 0):
    """Monte Carlo revenue under truthful reports: a ``solvers.auction.broker.Estimate``
    (revenue mean, its standard error, expected units traded), payments in float64."""
    from solvers.auction.broker import Estimate

    rng = np.random.default_rng(seed)
    bids = setting.values.sample(rng, (samples, setting.buyers))
    asks = setting.costs.sample(rng, (samples, setting.sellers))
    with torch_threads(result.config.threads):
        q, pay, _, recv = auction_net_outcome(result, bids, asks, setting=setting)
    profit = pay.sum(1) - recv.sum(1)
    return Estimate(float(profit.mean()), float(profit.std(ddof=1) / np.sqrt(samples)), float(q.sum(1).mean()),
                    "monte_carlo", samples)


@dataclass(frozen=True)
class RegretReport:
    """Ex-post regret found by :func:`regret_search`.

    buyer_gain (P, k_b) / seller_gain (P, k_s): the best gain from misreporting found per
    profile and checked agent (others truthful; 0 if none found). *_mean: the largest over
    checked agents of the mean over profiles (the expected ex-post regret of the worst
    agent); *_max: the largest gain over all profiles and checked agents.
    """

    buyer_mean: float
    buyer_max: float
    seller_mean: float
    seller_max: float
    buyer_gain: np.ndarray = field(repr=False)
    seller_gain: np.ndarray = field(repr=False)
    bids: np.ndarray = field(repr=False)     # the truthful profiles searched
    asks: np.ndarray = field(repr=False)


def regret_search(setting: AuctionSetting, mechanism, profiles: int = 256, restarts: int = 4, steps: int = 40,
                  seed: int = 0, *, grid: int = 9, agents: int | None = None) -> RegretReport:
    """Each agent's best misreport, per sampled truthful profile, by projected gradient ascent.

    ``mechanism``: an :class:`AuctionNetResult` (run with ``setting``'s capacities and bounds)
    or any torch-differentiable callable (bids (S, m), asks (S, n)) -> (q, buyer_pay, r,
    seller_recv), tensors (S, m), (S, m), (S, n), (S, n), run in float64 on the CPU. Starts:
    ``grid`` evenly spaced reports over [lo, hi] (ends included) and ``restarts`` uniform random
    ones; each does ``steps`` sign-gradient steps shrinking from half the grid spacing to 1/100
    of it, keeping its best iterate. A misreport that does not help counts as gain 0.
    ``agents=k`` checks only the first k agents of each side (all when None): enough when
    agents of a side are interchangeable (i.i.d. types, equal capacities, and the net is
    permutation-equivariant), and the search costs (m + n) x profiles x (grid + restarts)
    x (steps + 1) forward and backward passes.
    """
    if isinstance(mechanism, AuctionNetResult):
        mech, p = mechanism.mechanism(setting), next(mechanism.net.parameters())
        dtype, device, threads = p.dtype, p.device, mechanism.config.threads
    else:
        mech, dtype, device, threads = mechanism, torch.float64, torch.device("cpu"), None
    rng = np.random.default_rng(seed)
    bids = setting.values.sample(rng, (profiles, setting.buyers))
    asks = setting.costs.sample(rng, (profiles, setting.sellers))
    gains = []
    with torch_threads(threads):
        for side in (BUYERS, SELLERS):
            lo, hi, count = _side_bounds(setting, side)
            count = count if agents is None else min(agents, count)
            starts = np.concatenate([np.broadcast_to(np.linspace(lo, hi, grid), (profiles, count, grid)),
                                     lo + (hi - lo) * rng.random((profiles, count, restarts))], axis=2)
            spacing = (hi - lo) / max(1, grid - 1)
            gains.append(_search_side(mech, bids, asks, side, starts, (lo, hi), (spacing / 2, spacing / 100),
                                      steps, dtype, device))
    (gb, gs) = gains
    return RegretReport(float(gb.mean(0).max()), float(gb.max()), float(gs.mean(0).max()), float(gs.max()), gb, gs,
                        bids, asks)


def _search_side(mech, bids, asks, side, starts, box, step_sizes, steps, dtype, device) -> np.ndarray:
    """Best gain (P, count) of each agent of ``side``, in chunks of profiles and agents."""
    profiles, count, cands = starts.shape
    per_chunk = max(1, SEARCH_CHUNK // cands)
    agents_per = max(1, min(count, per_chunk))
    rows = max(1, per_chunk // agents_per)
    out = np.zeros((profiles, count))
    for i in range(0, profiles, rows):
        b, a = (torch.as_tensor(v[i:i + rows], dtype=dtype, device=device) for v in (bids, asks))
        with torch.no_grad():
            q, pay, r, recv = mech(b, a)
        units, money = (q, pay) if side == BUYERS else (r, recv)
        truth = b if side == BUYERS else a
        u_true = _utilities(side, truth, units, money)
        for j in range(0, count, agents_per):
            agents = torch.arange(j, min(count, j + agents_per), device=device)
            start = torch.as_tensor(starts[i:i + rows, j:j + agents_per], dtype=dtype, device=device)
            _, best = _ascend(lambda rep: _deviation_utility(mech, b, a, side, agents, rep), start, *box, steps,
                              *step_sizes)
            gain = (best.amax(-1) - u_true[:, agents]).clamp_min(0)
            out[i:i + rows, j:j + agents_per] = gain.double().cpu().numpy()
    return out
