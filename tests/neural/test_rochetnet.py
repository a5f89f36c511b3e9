"""RochetNet (neural/, DESIGN §3): always a valid menu, deterministic, and a true lower bound.

Short CPU trainings (a few hundred steps, about a second each); the speed
targets are measured in tests/benchmarks/bench_rochetnet.py, not here.
"""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import torch
from scipy.stats import qmc

from grids import InvalidInput, make_setting
from neural.rochetnet import RochetNet, TrainConfig, net_bound, net_menu, train_rochetnet
from solvers.menu_profit import evaluate_menu

from reference import AMM2D_PROFIT_ALPHA0, spread_profit_1d, table2_menu

# Small and short: 256 items, 400 steps of 1024 types (a larger step suits short runs), checks every 50 steps.
QUICK = TrainConfig(menu_size=256, steps=400, lr=0.04, eval_every=50, patience=0, holdout_size=2**14,
                    device="cpu")


def utility(alloc: np.ndarray, prices: np.ndarray, x: np.ndarray) -> np.ndarray:
    """u(x) = max(0, max_k <a_k, x> - p_k) in float64."""
    return np.maximum(0.0, (x @ alloc.T - prices).max(axis=1))


@pytest.fixture(scope="module")
def trained():
    """(setting, result, closed-form optimum) for amm1d alpha 0.25 and amm2d alpha 0."""
    out = {}
    for name, alpha, optimum in (("amm1d", 0.25, spread_profit_1d(0.25)), ("amm2d", 0.0, AMM2D_PROFIT_ALPHA0)):
        s = make_setting(name, alpha=alpha)
        out[name] = (s, train_rochetnet(s, QUICK, progress=False), optimum)
    return out


@pytest.mark.parametrize("name", ["amm1d", "amm2d"])
def test_no_trade_at_belief_and_individually_rational(trained, name):
    s, r, _ = trained[name]
    c = s.c
    # u(c) = 0 exactly: every price is >= <a_k, c> (premium softplus >= 0, plus a 1e-15 margin
    # so that it holds in any summation order), for the float64 menu and for the net itself.
    assert np.all(r.allocations @ c - r.prices <= 0.0)
    assert np.all(np.einsum("kn,n->k", r.allocations, c) - r.prices <= 0.0)
    assert utility(r.allocations, r.prices, c[None, :])[0] == 0.0
    net = RochetNet(QUICK.menu_size, s.B, s.pin)
    net.set_menu(r.allocations, r.prices - r.allocations @ c)
    with torch.no_grad():
        assert float(net.utility(torch.as_tensor(c, dtype=torch.float32)[None, :])[0]) == 0.0
    x = s.dist.sample(np.random.default_rng(1), 10_000, s.n)
    assert np.all(utility(r.allocations, r.prices, x) >= 0.0)   # IR
    assert r.device == "cpu" and r.history[0][0] == 0 and r.history[-1][0] == QUICK.steps


@pytest.mark.parametrize("name", ["amm1d", "amm2d"])
def test_allocations_inside_box(trained, name):
    s, r, _ = trained[name]
    assert r.allocations.shape == (QUICK.menu_size, s.n) and r.prices.shape == (QUICK.menu_size,)
    assert r.allocations.dtype == np.float64 and r.prices.dtype == np.float64
    assert np.all(r.allocations >= s.market.lo) and np.all(r.allocations <= s.market.hi)


def test_monopolist_allocations_in_unit_box_and_prices_nonnegative():
    s = make_setting("monopolist2d")
    r = train_rochetnet(s, replace(QUICK, menu_size=64, steps=50), progress=False)
    assert np.all(r.allocations >= 0.0) and np.all(r.allocations <= 1.0)
    assert np.all(r.prices >= 0.0)     # c = 0: p_k >= <a_k, 0> = 0


def test_same_seed_same_result_other_seed_differs():
    s = make_setting("amm2d", alpha=0.5)
    cfg = replace(QUICK, menu_size=64, steps=60, eval_every=20)
    a, b = (train_rochetnet(s, cfg, progress=False) for _ in range(2))
    np.testing.assert_array_equal(a.allocations, b.allocations)
    np.testing.assert_array_equal(a.prices, b.prices)
    assert [h[::2] for h in a.history] == [h[::2] for h in b.history]   # (step, profit); seconds differ
    c = train_rochetnet(s, replace(cfg, seed=1), progress=False)
    assert not np.array_equal(a.prices, c.prices)


@pytest.mark.parametrize("name", ["amm1d", "amm2d"])
def test_exact_menu_profit_is_a_lower_bound(trained, name):
    s, r, optimum = trained[name]
    alloc, prices = net_menu(r)
    assert 0 < len(prices) <= QUICK.menu_size
    bound = net_bound(s, r)
    assert bound.method == "exact" and bound.value == evaluate_menu(s, alloc, prices).value
    # A valid menu never beats the continuous optimum; 1e-12 covers the polytope
    # integration's rounding (volumes and centroids from qhull vertices).
    assert bound.value <= optimum + 1e-12
    # Floor: selling each good separately at its optimal spread earns 25/27.46 = 91% of the
    # 2D optimum, so > 95% means the net found the bundle items. These 400 steps measured
    # 99.86-99.99% of the optimum over seeds 0-7 in both settings (300 steps at lr 0.02 left
    # one 1D seed at 91%: a net that starts with negative profit needs the longer climb).
    assert bound.value > 0.95 * optimum


def test_soft_objective_overstates_hard_max_profit(trained):
    s, r, _ = trained["amm2d"]
    net = RochetNet(QUICK.menu_size, s.B, s.pin)
    net.set_menu(r.allocations, r.prices - r.allocations @ s.c)
    x = torch.rand(2**16, 2, generator=torch.Generator().manual_seed(3))
    phi = net.c + s.alpha * (x - net.c)
    with torch.no_grad():
        soft = float(net.soft_profit(x, phi, 100.0))
    hard_per_type = net.profits(x, phi).numpy()
    assert net.hard_profit(x, phi) == float(hard_per_type.mean())
    # The soft objective per type, written out here in float64 from the net's own float32 parameters:
    # J(x) = sum_k w_k P_k, w = softmax(T [U, 0]), U_k = <a_k, x - c> - s_k, P_k = s_k - <a_k, phi - c>.
    a = net.allocations().detach().double().numpy()
    prem = net.premiums().detach().double().numpy()
    xc, pc = x.double().numpy() - s.c, phi.double().numpy() - s.c
    soft_per_type = np.empty(len(xc))
    for i in range(0, len(xc), 4096):
        z = 100.0 * np.c_[xc[i:i + 4096] @ a.T - prem, np.zeros(len(xc[i:i + 4096]))]
        w = np.exp(z - z.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        soft_per_type[i:i + 4096] = (w[:, :-1] * (prem - pc[i:i + 4096] @ a.T)).sum(axis=1)
    # soft_profit runs in float32: utilities carry relative errors ~6e-8, which the temperature 100
    # turns into relative errors ~1e-5 in the weights of a profit of size <= 1 (measured 1.4e-8)
    assert soft == pytest.approx(float(soft_per_type.mean()), abs=1e-5)
    # The claim is about the mean of the per-type difference D = J - hard over the type law; on this
    # sample of 2^16 its mean must exceed 4 of its standard errors (one-sided false alarm 3e-5).
    # Measured: D ranges over [-0.22, 0.39], mean 0.0090 = 51 standard errors.
    diff = soft_per_type - hard_per_type
    assert diff.mean() > 4 * diff.std(ddof=1) / np.sqrt(len(diff))
    assert soft > float(hard_per_type.mean())


def test_lp_initialization_starts_at_the_given_menu():
    s = make_setting("amm2d", alpha=0.0)
    alloc, prices = table2_menu(0.0)
    start = {}

    def keep_step0(step, seconds, net):
        if step == 0:
            start["menu"] = net.menu()

    r = train_rochetnet(s, replace(QUICK, init="lp", menu_size=64, steps=20, eval_every=10), init_menu=(alloc, prices),
                        progress=False, callback=keep_step0)
    a0, p0 = start["menu"]
    # Step 0 is the given menu: its 8 items first, allocations clipped 1e-4 inside B (a = +-0.9999),
    # premiums p - <a, c> kept; read back from float32 raw parameters (relative 6e-8 of values <= 10).
    np.testing.assert_allclose(a0[:8], (1 - 1e-4) * alloc, rtol=0, atol=1e-6)
    np.testing.assert_allclose(p0[:8] - a0[:8] @ s.c, prices - alloc @ s.c, rtol=0, atol=1e-6)
    # Clipping scales every allocation by 1 - eps (eps = 1e-4); at alpha = 0 a type's profit is its
    # item's premium, and the clipped menu offers x what the original offers y = c + (1 - eps)(x - c).
    # So its profit is that of the original over a square shrunk by 1 - eps, renormalized: it differs
    # by at most 2 eps (P + max premium) = 2e-4 (0.2746 + 0.431) = 1.41e-4 (the renormalization and
    # the lost strip of area 2 eps); 1e-6 for the float32 parameters. Measured loss 2.7e-5.
    # The remaining 56 items are noisy copies priced so that no type prefers them: the exact profit
    # of the whole step-0 menu is the clipped menu's.
    exact0 = evaluate_menu(s, a0, p0).value
    assert AMM2D_PROFIT_ALPHA0 - 2e-4 * (AMM2D_PROFIT_ALPHA0 + (prices - alloc @ s.c).max()) - 1e-6 <= exact0
    assert exact0 <= AMM2D_PROFIT_ALPHA0 + 1e-12            # a menu never beats the optimum (exact integration)
    # The held-out profit at step 0 is a scrambled-Sobol estimate (2^14 points) of exact0. Its error:
    # 4 root-mean-square errors of that estimator on this menu, estimated here over 64 scrambles
    # (measured 1.7e-4; 1.5e-4 over 200), so about 6.9e-4; step 0's own error was 2.2e-4.
    def sobol_estimate(seed: int) -> float:
        x = qmc.Sobol(2, seed=seed).random_base2(14)
        u = (x - s.c) @ a0.T - (p0 - a0 @ s.c)
        k = u.argmax(axis=1)
        return float(np.where(u.max(axis=1) > 0, (p0 - a0 @ s.c)[k], 0.0).mean())   # alpha = 0: profit = premium
    rmse = np.sqrt(np.mean([(sobol_estimate(seed) - exact0) ** 2 for seed in range(64)]))
    assert abs(r.history[0][2] - exact0) <= 4 * rmse
    assert net_bound(s, r).value <= AMM2D_PROFIT_ALPHA0 + 1e-12


def test_sample_file_distribution(tmp_path):
    path = tmp_path / "types.npy"
    np.save(path, np.random.default_rng(0).random((500, 2)))
    s = make_setting("amm2d", dist=f"samples:{path}")
    r = train_rochetnet(s, replace(QUICK, menu_size=32, steps=30, eval_every=10), progress=False)
    b = net_bound(s, r)
    assert b.method == "empirical" and math.isfinite(b.value)


def test_bad_config_is_refused():
    for bad in ({"menu_size": 0}, {"lr": -1.0}, {"init": "zeros"}, {"device": "tpu"}, {"lr_schedule": "step"}):
        with pytest.raises(InvalidInput):
            TrainConfig(**bad)


def test_progress_line_on_stderr(capsys):
    s = make_setting("amm1d")
    train_rochetnet(s, replace(QUICK, menu_size=16, steps=10, eval_every=5), progress=True)
    assert "rochetnet" in capsys.readouterr().err


def test_solvers_and_grids_do_not_import_torch():
    code = "import sys, solvers, grids, neural; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_trains_on_cuda():
    s = make_setting("amm2d")
    r = train_rochetnet(s, replace(QUICK, device="cuda"), progress=False)
    assert r.device.startswith("cuda")
    assert utility(r.allocations, r.prices, s.c[None, :])[0] == 0.0
    # as on the CPU (test_exact_menu_profit_is_a_lower_bound): never above the optimum (1e-12: exact
    # integration), and above separate selling's 91% (the CPU measured 99.86-99.99% with these 400
    # steps; 100 steps, the old setting here, reached only 83% on the CPU)
    bound = net_bound(s, r).value
    assert 0.95 * AMM2D_PROFIT_ALPHA0 < bound <= AMM2D_PROFIT_ALPHA0 + 1e-12


def test_early_stopping_returns_best_held_out_net():
    s = make_setting("amm2d", alpha=0.0)
    # Start at the optimal menu with a step too large to keep it: the held-out profit falls,
    # so training stops `patience` steps after its best evaluation and returns that one.
    cfg = replace(QUICK, init="lp", menu_size=64, steps=400, lr=0.1, eval_every=10, patience=30)
    r = train_rochetnet(s, cfg, init_menu=table2_menu(0.0), progress=False)
    steps = [h[0] for h in r.history]
    best = max(r.history, key=lambda h: h[2])
    assert r.best_step == best[0] and steps[-1] == r.best_step + cfg.patience < cfg.steps
